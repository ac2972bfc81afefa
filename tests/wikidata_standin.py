"""A stand-in for Wikidata on 127.0.0.1: the Action API and the SPARQL endpoint.

    /w/api.php?action=wbsearchentities   prefix search over labels and aliases,
                                         answered in the API's JSON format
    /w/api.php?action=wbgetentities      entity JSON (labels, descriptions,
                                         aliases, claims), at most 50 ids
    /sparql?query=                       SPARQL 1.1 JSON results, evaluated by
                                         pyoxigraph over the fixture's truthy
                                         triples (wd:/wdt:/rdfs:label)

Formats follow Wikidata's documented JSON (Wikibase data model: statements
with mainsnak/datavalue/rank). Like Wikimedia, requests without a descriptive
User-Agent get 403. It counts and records every request, and can answer with
an error status (429/503 with Retry-After, 500) for the next N requests or
for all of them.

Fixture data: the QIDs below Q900000000 are real Wikidata items (states and
people of the bundled tables, Georgia Q230 / the US state Q1428, Washington,
D.C. Q61 / the state Q1223 / George Washington Q23, NATO Q7184, and the
classes of the type table). Everything from Q900000000 up is a made-up test
item ("... (test item)"); such ids exist only here.
"""
from __future__ import annotations

import json
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyoxigraph as ox

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
GREGORIAN = "http://www.wikidata.org/entity/Q1985727"


def time_value(iso_date: str) -> tuple[str, str]:
    return ("time", f"+{iso_date}T00:00:00Z")


def _snak(pid: str, value: Any) -> dict:
    if isinstance(value, str) and value.startswith("Q") and value[1:].isdigit():
        return {"snaktype": "value", "property": pid, "datatype": "wikibase-item",
                "datavalue": {"type": "wikibase-entityid",
                              "value": {"entity-type": "item", "numeric-id": int(value[1:]), "id": value}}}
    if isinstance(value, tuple) and value[0] == "time":
        return {"snaktype": "value", "property": pid, "datatype": "time",
                "datavalue": {"type": "time", "value": {"time": value[1], "timezone": 0, "before": 0, "after": 0,
                                                        "precision": 11, "calendarmodel": GREGORIAN}}}
    if value is None:
        return {"snaktype": "somevalue", "property": pid}
    return {"snaktype": "value", "property": pid, "datatype": "external-id" if pid in ("P297", "P298") else "string",
            "datavalue": {"type": "string", "value": value}}


def item(qid: str, labels: dict[str, str], descriptions: dict[str, str] | None = None,
         aliases: dict[str, list[str]] | None = None, claims: dict[str, list[Any]] | None = None,
         deprecated: dict[str, list[Any]] | None = None) -> dict:
    """Entity JSON as wbgetentities returns it."""
    out_claims: dict[str, list[dict]] = {}
    for rank, source in (("normal", claims or {}), ("deprecated", deprecated or {})):
        for pid, values in source.items():
            for n, value in enumerate(values):
                out_claims.setdefault(pid, []).append({
                    "mainsnak": _snak(pid, value), "type": "statement",
                    "id": f"{qid}${pid}-{rank}-{n:04d}", "rank": rank,
                })
    return {
        "type": "item", "id": qid, "pageid": int(qid[1:]) % 100_000_000, "ns": 0, "title": qid,
        "lastrevid": 1, "modified": "2024-01-01T00:00:00Z",
        "labels": {lang: {"language": lang, "value": v} for lang, v in labels.items()},
        "descriptions": {lang: {"language": lang, "value": v} for lang, v in (descriptions or {}).items()},
        "aliases": {lang: [{"language": lang, "value": v} for v in vs] for lang, vs in (aliases or {}).items()},
        "claims": out_claims, "sitelinks": {},
    }


STATE = ["Q6256", "Q3624078"]  # country, sovereign state
TEST_US_STATE_CLASS = "Q900000102"
TEST_CITY_CLASS = "Q900000103"
TEST_UNIVERSITY_SUBCLASS = "Q900000104"
TEST_FAMILY_NAME_CLASS = "Q900000301"

# In search order: where two items share a name, the first is Wikidata's usual first hit.
FIXTURE: list[dict] = [
    # --- states
    item("Q230", {"en": "Georgia", "de": "Georgien", "fr": "Géorgie", "ru": "Грузия", "ka": "საქართველო"},
         {"en": "country in the Caucasus"}, {"en": ["Sakartvelo"]},
         {"P31": STATE, "P47": ["Q159"], "P36": ["Q900000201"], "P297": ["GE"], "P298": ["GEO"]}),
    item("Q1428", {"en": "Georgia", "de": "Georgia", "fr": "Géorgie"},
         {"en": "state of the United States of America"}, {"en": ["GA"]},
         {"P31": [TEST_US_STATE_CLASS], "P17": ["Q30"]}),
    item("Q159", {"en": "Russia", "de": "Russland", "fr": "Russie", "ru": "Россия"},
         {"en": "country in Eastern Europe and Northern Asia"}, {"en": ["Russian Federation"]},
         {"P31": STATE, "P47": ["Q230"], "P297": ["RU"], "P298": ["RUS"]}),
    item("Q30", {"en": "United States of America", "de": "Vereinigte Staaten", "fr": "États-Unis"},
         {"en": "country primarily located in North America"}, {"en": ["USA", "United States", "US"]},
         {"P31": STATE, "P463": ["Q7184"], "P297": ["US"], "P298": ["USA"]}),
    item("Q884", {"en": "South Korea", "ko": "대한민국", "ja": "大韓民国", "de": "Südkorea"},
         {"en": "country in East Asia"}, {"en": ["Republic of Korea", "ROK"]},
         {"P31": STATE, "P297": ["KR"], "P298": ["KOR"], "P35": ["Q16090635"]}),
    item("Q17", {"en": "Japan", "ja": "日本", "de": "Japan"}, {"en": "country in East Asia"}, {},
         {"P31": STATE, "P297": ["JP"], "P298": ["JPN"], "P6": ["Q359480"]}),
    # --- Washington
    item("Q1223", {"en": "Washington", "de": "Washington"}, {"en": "state of the United States of America"},
         {"en": ["Washington State", "WA"]}, {"P31": [TEST_US_STATE_CLASS], "P17": ["Q30"]}),
    item("Q61", {"en": "Washington, D.C.", "de": "Washington, D.C."},
         {"en": "capital city of the United States of America"}, {"en": ["Washington", "DC", "District of Columbia"]},
         {"P31": [TEST_CITY_CLASS], "P17": ["Q30"]}),
    item("Q23", {"en": "George Washington", "de": "George Washington"},
         {"en": "1st president of the United States (1789-1797)"}, {"en": ["Washington", "President Washington"]},
         {"P31": ["Q5"], "P27": ["Q30"]}),
    # --- people and organizations of the bundled tables
    item("Q16090635", {"en": "Yoon Suk Yeol", "ko": "윤석열"}, {"en": "South Korean politician"},
         {"en": ["Yoon Suk-yeol"]}, {"P31": ["Q5"], "P27": ["Q884"]}),
    item("Q359480", {"en": "Fumio Kishida", "ja": "岸田文雄"}, {"en": "Japanese politician"}, {},
         {"P31": ["Q5"], "P27": ["Q17"]}),
    item("Q7184", {"en": "NATO", "fr": "OTAN", "de": "NATO"},
         {"en": "intergovernmental military alliance"}, {"en": ["North Atlantic Treaty Organization"]},
         {"P31": ["Q484652"], "P571": [time_value("1949-04-04")]}),
    item("Q53122", {"en": "Pusan National University", "ko": "부산대학교"}, {"en": "university in Busan, South Korea"},
         {"en": ["PNU"]}, {"P31": ["Q3918"], "P17": ["Q884"]}),
    # --- made-up test items
    item("Q900000201", {"en": "Tbilisi"}, {"en": "capital of Georgia (test item)"}, {},
         {"P31": [TEST_CITY_CLASS], "P17": ["Q230"]}),
    item("Q900000013", {"en": "Kelly"}, {"en": "family name (test item)"}, {}, {"P31": [TEST_FAMILY_NAME_CLASS]}),
    item("Q900000014", {"en": "Kelly"}, {"en": "singer (test item)"}, {}, {"P31": ["Q5"]}),
    item("Q900000016", {"en": "Kelly"}, {"en": "footballer (test item)"}, {}, {"P31": ["Q5"]}),
    item("Q900000015", {"en": "Kelly Example"}, {"en": "journalist (test item)"}, {}, {"P31": ["Q5"]}),
    item("Q900000011", {"en": "Robert E. Kelly"}, {"en": "political scientist and professor (test item)"}, {},
         {"P31": ["Q5"], "P27": ["Q30"], "P108": ["Q53122"]}),
    item("Q900000012", {"en": "Robert Kelly"}, {"en": "musician (test item)"}, {},
         {"P31": ["Q5"], "P27": ["Q30"]}),
    item("Q900000022", {"en": "Example National University"}, {"en": "university (test item)"}, {},
         {"P31": [TEST_UNIVERSITY_SUBCLASS], "P17": ["Q884"]}),
    item("Q900000023", {"en": "Example Deprecated Party"}, {"en": "test item whose only type is deprecated"}, {},
         {}, deprecated={"P31": ["Q7278"]}),
    # --- classes (the real ones of the type table, and test subclasses)
    item("Q5", {"en": "human"}, {"en": "any member of Homo sapiens"}),
    item("Q6256", {"en": "country"}),
    item("Q3624078", {"en": "sovereign state"}),
    item("Q3918", {"en": "university"}, {}, {}, {"P279": ["Q43229"]}),
    item("Q484652", {"en": "international organization"}, {}, {}, {"P279": ["Q43229"]}),
    item("Q43229", {"en": "organization"}),
    item(TEST_US_STATE_CLASS, {"en": "state of the United States (test class)"}),
    item(TEST_CITY_CLASS, {"en": "city (test class)"}),
    item(TEST_UNIVERSITY_SUBCLASS, {"en": "public research university (test class)"}, {}, {}, {"P279": ["Q3918"]}),
    item(TEST_FAMILY_NAME_CLASS, {"en": "family name (test class)"}),
]
ENTITIES = {e["id"]: e for e in FIXTURE}
SEARCH_ORDER = [e["id"] for e in FIXTURE]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()


def fixture_store() -> ox.Store:
    """The fixture's truthy statements and labels as RDF, as WDQS has them."""
    store = ox.Store()
    quads = []
    for e in FIXTURE:
        s = ox.NamedNode(WD + e["id"])
        for lang, lab in e["labels"].items():
            quads.append(ox.Quad(s, ox.NamedNode(RDFS_LABEL), ox.Literal(lab["value"], language=lang)))
        for pid, statements in e["claims"].items():
            for st in statements:
                if st["rank"] == "deprecated" or st["mainsnak"]["snaktype"] != "value":
                    continue
                dv = st["mainsnak"]["datavalue"]
                if dv["type"] == "wikibase-entityid":
                    o = ox.NamedNode(WD + dv["value"]["id"])
                elif dv["type"] == "time":
                    o = ox.Literal(dv["value"]["time"].lstrip("+"), datatype=ox.NamedNode(XSD_DATETIME))
                else:
                    o = ox.Literal(dv["value"])
                quads.append(ox.Quad(s, ox.NamedNode(WDT + pid), o))
    store.extend(quads)
    return store


@dataclass
class Failure:
    status: int
    remaining: int | None  # None: every request until cleared
    retry_after: str | None = None
    path: str | None = None  # only requests to this path ("/w/api.php" or "/sparql")


@dataclass
class Recorded:
    path: str
    params: dict[str, str]
    user_agent: str
    accept: str
    at: float
    status: int


@dataclass
class WikidataStandIn:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._store = fixture_store()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------- control

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/w/api.php"

    @property
    def sparql_url(self) -> str:
        return self.url + "/sparql"

    def start(self) -> "WikidataStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                params = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                standin._handle(self, parsed.path, params)

            def do_POST(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                if (self.headers.get("Content-Type") or "").startswith("application/sparql-query"):
                    params = {"query": body}  # SPARQL 1.1 Protocol: query via POST directly
                else:
                    params = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
                standin._handle(self, parsed.path, params)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="wikidata-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.failures.clear()

    def fail_next(self, status: int, times: int = 1, *, retry_after: str | None = None, path: str | None = None) -> None:
        with self._lock:
            self.failures.append(Failure(status, times, retry_after, path))

    def fail_always(self, status: int, *, retry_after: str | None = None, path: str | None = None) -> None:
        with self._lock:
            self.failures.append(Failure(status, None, retry_after, path))

    def count(self, path: str | None = None, action: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if (path is None or r.path == path)
                       and (action is None or r.params.get("action") == action))

    # -------------------------------------------------------------- handling

    def _failure_for(self, path: str) -> Failure | None:
        with self._lock:
            for f in self.failures:
                if f.path is not None and f.path != path:
                    continue
                if f.remaining is None:
                    return f
                if f.remaining > 0:
                    f.remaining -= 1
                    return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler, path: str, params: dict[str, str]) -> None:
        arrived = time.monotonic()
        ua = h.headers.get("User-Agent") or ""
        accept = h.headers.get("Accept") or ""
        status, body, ctype, headers = self._answer(path, params, ua, accept)
        with self._lock:
            self.requests.append(Recorded(path, params, ua, accept, arrived, status))
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _answer(self, path: str, params: dict[str, str], ua: str, accept: str):
        json_type = "application/json; charset=utf-8"
        # Like WDQS: library defaults and empty agents are refused. The API also wants a
        # contact "(…)"; the query service takes a product token such as "Oxigraph/0.5.13"
        # (pyoxigraph's SERVICE client, whose agent cannot be configured).
        generic = not ua or ua.lower().startswith(("python-httpx", "python-requests", "python-urllib", "curl"))
        if generic or ("(" not in ua and not (path == "/sparql" and "/" in ua)):
            return 403, b"Please set a user-agent and respect our robot policy.", "text/plain", {}
        failure = self._failure_for(path)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            return failure.status, f"stand-in error {failure.status}".encode(), "text/plain", headers
        if path == "/w/api.php":
            if params.get("format") != "json":
                return 200, {"error": {"code": "badformat", "info": "this stand-in only speaks format=json"}}, json_type, {}
            action = params.get("action")
            if action == "wbsearchentities":
                return 200, self._search(params), json_type, {}
            if action == "wbgetentities":
                return 200, self._get_entities(params), json_type, {}
            return 200, {"error": {"code": "badvalue", "info": f"Unrecognized value for parameter \"action\": {action}."}}, json_type, {}
        if path == "/sparql":
            query = params.get("query")
            if not query:
                return 400, b"missing query", "text/plain", {}
            if "application/sparql-results+json" not in accept:
                return 406, b"only application/sparql-results+json here", "text/plain", {}
            try:
                results = self._store.query(query)
                data = results.serialize(format=ox.QueryResultsFormat.JSON)
            except (SyntaxError, ValueError, OSError) as exc:
                return 400, f"bad query: {exc}".encode(), "text/plain", {}
            return 200, data, "application/sparql-results+json; charset=utf-8", {}
        return 404, b"not found", "text/plain", {}

    def _search(self, params: dict[str, str]) -> dict:
        text = params.get("search", "")
        if not text:
            return {"error": {"code": "missingparam", "info": "The \"search\" parameter must be set."}}
        lang = params.get("language", "en")
        limit = min(int(params.get("limit", "7")), 50)
        q = _fold(text)
        hits = []
        for qid in SEARCH_ORDER:
            e = ENTITIES[qid]
            lab = (e["labels"].get(lang) or e["labels"].get("en") or {}).get("value")
            desc = (e["descriptions"].get(lang) or e["descriptions"].get("en") or {}).get("value")
            match = None
            if lab and _fold(lab).startswith(q):
                match = {"type": "label", "language": lang, "text": lab}
            else:
                for alias in e["aliases"].get(lang, []):
                    if _fold(alias["value"]).startswith(q):
                        match = {"type": "alias", "language": lang, "text": alias["value"]}
                        break
            if match is None:
                continue
            hit = {
                "id": qid, "title": qid, "pageid": e["pageid"], "repository": "wikidata",
                "url": f"//www.wikidata.org/wiki/{qid}", "concepturi": WD + qid,
                "display": {}, "label": lab or qid, "match": match,
            }
            if lab:
                hit["display"]["label"] = {"value": lab, "language": lang}
            if desc:
                hit["description"] = desc
                hit["display"]["description"] = {"value": desc, "language": lang}
            if match["type"] == "alias":
                hit["aliases"] = [match["text"]]
            hits.append(hit)
        out: dict[str, Any] = {"searchinfo": {"search": text}, "search": hits[:limit], "success": 1}
        if len(hits) > limit:
            out["search-continue"] = limit
        return out

    def _get_entities(self, params: dict[str, str]) -> dict:
        ids = [i for i in params.get("ids", "").split("|") if i]
        if not ids:
            return {"error": {"code": "param-missing", "info": "Either provide the item \"ids\" or pairs of \"sites\" and \"titles\""}}
        if len(ids) > 50:
            return {"error": {"code": "toomanyvalues", "info": "Too many values supplied for parameter \"ids\". The limit is 50."}}
        props = set(params.get("props", "info|sitelinks|aliases|labels|descriptions|claims|datatype").split("|"))
        langs = set(params.get("languages", "").split("|")) - {""}
        out: dict[str, Any] = {}
        for qid in ids:
            e = ENTITIES.get(qid)
            if e is None:
                out[qid] = {"id": qid, "missing": ""}
                continue
            view = {"type": e["type"], "id": qid}
            if "info" in props:
                view.update({k: e[k] for k in ("pageid", "ns", "title", "lastrevid", "modified")})
            for part in ("labels", "descriptions", "aliases"):
                if part in props:
                    view[part] = {k: v for k, v in e[part].items() if not langs or k in langs}
            if "claims" in props:
                view["claims"] = e["claims"]
            if "sitelinks" in props:
                view["sitelinks"] = e["sitelinks"]
            out[qid] = view
        return {"entities": out, "success": 1}


def start_standin() -> WikidataStandIn:
    return WikidataStandIn().start()


if __name__ == "__main__":  # manual poking: python tests/wikidata_standin.py
    s = start_standin()
    print(f"Wikidata stand-in on {s.url} (api {s.api_url}, sparql {s.sparql_url}); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        s.stop()
