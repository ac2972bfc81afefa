// ClaimGraph's YASGUI setup: the endpoint, the competency questions as example
// tabs, and links from result IRIs to the linked-data pages of this server.
// Configuration comes from the page (<script id="claimgraph-config">).
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("claimgraph-config").textContent);
  var endpoint = new URL(cfg.endpoint, window.location.href).href;
  var root = document.getElementById("yasgui");

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: "claimgraph-" + window.location.host,
  });
  window.claimgraphYasgui = yasgui; // for tests and the console

  // One tab per example on the first visit (and again when the examples change).
  var seenKey = "claimgraph-examples-" + cfg.examplesVersion;
  var seen = false;
  try { seen = window.localStorage.getItem(seenKey) === "1"; } catch (e) { /* storage off */ }
  if (!seen && cfg.examples.length) {
    var blank = Object.keys(yasgui._tabs).filter(function (id) {
      var tab = yasgui.getTab(id);
      return tab && !tab.hasResults();
    });
    var first = null;
    cfg.examples.forEach(function (ex) {
      var tab = yasgui.addTab(false, {
        name: ex.name,
        yasqe: { value: ex.query },
        requestConfig: { endpoint: endpoint, method: "POST" },
      }, { avoidDuplicateTabs: true });
      first = first || tab;
    });
    if (first) { yasgui.selectTabId(first.getId()); }
    blank.forEach(function (id) { var t = yasgui.getTab(id); if (t) { t.close(); } });
    try { window.localStorage.setItem(seenKey, "1"); } catch (e) { /* storage off */ }
  }

  // IRIs minted under the base IRI open their page on this server, whatever
  // host or port the base IRI names (YASR renders IRIs as <a href="IRI">).
  function localise(node) {
    if (!node.querySelectorAll) { return; }
    var anchors = node.tagName === "A" ? [node] : node.querySelectorAll("a[href]");
    Array.prototype.forEach.call(anchors, function (a) {
      var href = a.getAttribute("href");
      if (href && href.indexOf(cfg.baseIri) === 0) {
        a.setAttribute("href", cfg.basePath + href.slice(cfg.baseIri.length));
        a.classList.add("claimgraph-local");
      }
    });
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) { Array.prototype.forEach.call(r.addedNodes, localise); });
  }).observe(root, { childList: true, subtree: true });
  localise(root);
})();
