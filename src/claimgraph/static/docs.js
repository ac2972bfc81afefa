// Swagger UI over this server's OpenAPI schema (/docs, api/ui.py). A file of its own, not an
// inline script: the Content-Security-Policy allows only this server's own scripts.
(function () {
  "use strict";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
