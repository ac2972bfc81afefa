#!/usr/bin/env python3
"""Text search candidates on one workload: Tantivy (ClaimGraph's SearchIndex), SQLite FTS5
(benchmarks/fts5_index.py, the alternative measured), and SPARQL CONTAINS/REGEX over
pyoxigraph for comparison.

    .venv/bin/python benchmarks/search_bench.py [--articles 10000] [--workdir DIR]

1. generates --articles documents in ClaimGraph's own vocabulary, one named graph each
   (an article with headline, body of 12-25 sentences, date, authors, publisher; 3-8 claims
   of 1-3 sentences about states; named states, people and organisations with alternate
   names; NIF-style mention nodes for a realistic triple count), deterministic;
2. loads them into a fresh on-disk pyoxigraph store;
3. builds the search entries from the store exactly as `reindex` does (through
   `store.query`), then indexes the same entries into FTS5 and into Tantivy, 100 graphs
   per transaction/commit (Tantivy: one writer thread, like SQLite's one writer);
4. replaces --replace single documents in each (FTS5: one transaction; Tantivy: one
   commit; the store's own replace for scale);
5. runs the same questions of several kinds (term, common term, phrase, prefix, filtered by
   type + state + date range), each --reps times with different words, on both indexes
   (the same `SearchRequest`: ranked top 10, total, snippets, one hit per IRI), and SPARQL
   over pyoxigraph: the first 10 matches (`LIMIT 10`, unranked) and all matches
   (`COUNT`, what ranking needs), --sparql-reps times;
6. prints build time, replace latency, query p50/p99 and size on disk; writes report.json.

The machine is shared: compare the columns of one run, as ratios.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from claimgraph import vocab as V  # noqa: E402
from claimgraph.mapping import literal  # noqa: E402
from claimgraph.search import IndexedGraph, Kind, SearchIndex, SearchRequest, graph_entries  # noqa: E402
from claimgraph.search.entries import read_graph_triples, triples_from_ntriples  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fts5_index import Fts5Index  # noqa: E402  (the measured alternative)

BASE = "http://127.0.0.1:8000/id/"
STATES = [  # (key, name, alternate names)
    ("USA", "United States", ["US", "America"]), ("CHN", "China", ["PRC", "People's Republic of China"]),
    ("RUS", "Russia", ["Russian Federation"]), ("JPN", "Japan", []), ("KOR", "South Korea", ["Republic of Korea", "ROK"]),
    ("PRK", "North Korea", ["DPRK"]), ("TUR", "Turkey", ["Türkiye"]), ("IRN", "Iran", []), ("ISR", "Israel", []),
    ("UKR", "Ukraine", []), ("DEU", "Germany", []), ("FRA", "France", []), ("GBR", "United Kingdom", ["UK", "Britain"]),
    ("IND", "India", []), ("PAK", "Pakistan", []), ("SAU", "Saudi Arabia", []), ("EGY", "Egypt", []),
    ("BRA", "Brazil", []), ("ZAF", "South Africa", []), ("NGA", "Nigeria", []), ("AUS", "Australia", []),
    ("CAN", "Canada", []), ("MEX", "Mexico", []), ("IDN", "Indonesia", []), ("VNM", "Vietnam", ["Viet Nam"]),
    ("PHL", "Philippines", []), ("TWN", "Taiwan", []), ("POL", "Poland", []), ("SYR", "Syria", []),
    ("AZE", "Azerbaijan", []), ("ARM", "Armenia", []), ("GEO", "Georgia", []), ("KAZ", "Kazakhstan", []),
    ("QAT", "Qatar", []), ("ARE", "United Arab Emirates", ["UAE"]), ("ETH", "Ethiopia", []), ("SDN", "Sudan", []),
    ("VEN", "Venezuela", []), ("CUB", "Cuba", []), ("GRC", "Greece", []),
]
PHRASES = ("export controls|nuclear deterrence|maritime security|energy security|grain corridor|trade war|"
           "sanctions regime|security guarantees|missile defence|arms control|territorial dispute|"
           "peace talks|ceasefire agreement|refugee flows|supply chains|semiconductor industry|"
           "military exercises|border clashes|gas pipeline|debt relief|election interference|"
           "naval patrols|strategic partnership|defence spending|foreign aid|human rights|"
           "climate finance|rare earths|cyber attacks|drone strikes|peacekeeping mission|"
           "bilateral summit|free trade agreement|oil prices|currency swap|port access|"
           "intelligence sharing|troop withdrawal|air defence|food security").split("|")
VERBS = ("warns against|seeks|rejects|expands|weighs|backs|condemns|relies on|pushes for|doubts|"
         "benefits from|undermines|accelerates|resists|tightens|eases|negotiates|fears|welcomes").split("|")
TAILS = ("this year|despite pressure from its neighbours|after the summit|in the long run|"
         "as the alliance shifts|amid rising tension|without consulting its allies|to deter aggression|"
         "before the election|under domestic pressure|in the region|for the first time").split("|")
FIRST = "Ada Ben Cara Dev Eli Fay Gus Hana Ivan Jo Kai Lena Milo Nia Omar Pia Rosa Sam Tara Uma Yuri Zoe".split()
LAST = "Smith Chen Patel Kim Nguyen Lopez Khan Silva Cohen Novak Berg Costa Diaz Ito Jain Kerr Moss Ortiz".split()
OUTLETS = 40
AUTHORS = 2000
OFFICIALS = 500


def _zipf_choice(rng: random.Random, items: list, s: float = 1.0):
    """Skewed choice: a few phrases are common, most are rare, as in real text."""
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


def _sentence(rng: random.Random, states: list[tuple]) -> str:
    subject = rng.choice([rng.choice(states)[1], f"officials in {rng.choice(states)[1]}",
                          f"the government of {rng.choice(states)[1]}"])
    return (f"{subject[0].upper()}{subject[1:]} {rng.choice(VERBS)} {_zipf_choice(rng, PHRASES)} "
            f"with {rng.choice(states)[1]} {rng.choice(TAILS)}.")


def generate(articles: int, seed: int = 7, version: int = 0) -> Iterator[tuple[str, str]]:
    """(graph IRI, N-Triples) per document. `version` changes the text of every document
    (the replace step uses it) while keeping its IRIs."""
    for i in range(articles):
        rng = random.Random(f"{seed}-{i}-{version}")
        yield BASE + f"graph/gen-{i}", _document(rng, i)


def _document(rng: random.Random, i: int) -> str:
    lines: list[str] = []

    def iri(s, p, o):
        lines.append(f"<{s}> <{p}> <{o}> .")

    def lit(s, p, v, dtype=None):
        lines.append(f"<{s}> <{p}> {literal(v, dtype)} .")

    def a(s, *classes):
        for c in classes:
            iri(s, V.RDF + "type", c)

    article = BASE + f"article/gen-{i}"
    states = rng.sample(STATES, rng.randint(3, 6))
    for key, name, alts in states:
        node = BASE + f"state/{key}"
        a(node, V.COUNTRY, V.SCHEMA + "AdministrativeArea", V.PLACE)
        lit(node, V.SCHEMA + "name", name)
        for alt in alts:
            lit(node, V.SCHEMA + "alternateName", alt)
        iri(article, V.SCHEMA + "mentions", node)
    authors = [BASE + f"person/author-{k}" for k in rng.sample(range(AUTHORS), rng.randint(1, 2))]
    for au in authors:
        k = int(au.rsplit("-", 1)[1])
        a(au, V.PERSON)
        lit(au, V.SCHEMA + "name", f"{FIRST[k % len(FIRST)]} {LAST[k * 7 % len(LAST)]} {k}")
        iri(article, V.SCHEMA + "author", au)
    officials = [BASE + f"person/official-{k}" for k in rng.sample(range(OFFICIALS), rng.randint(1, 3))]
    for off in officials:
        k = int(off.rsplit("-", 1)[1])
        a(off, V.PERSON)
        lit(off, V.SCHEMA + "name", f"Minister {LAST[k % len(LAST)]} {FIRST[k * 3 % len(FIRST)]}")
        iri(article, V.SCHEMA + "mentions", off)
    publisher = BASE + f"org/outlet-{rng.randrange(OUTLETS)}"
    a(publisher, V.NEWS_OUTLET, V.ORGANIZATION)
    lit(publisher, V.SCHEMA + "name", f"The {rng.choice(states)[1]} Review {publisher.rsplit('-', 1)[1]}")

    a(article, V.ANALYSIS_ARTICLE, V.SCHEMA + "NewsArticle", V.ARTICLE, V.CREATIVE_WORK)
    lit(article, V.SCHEMA + "headline",
        f"{states[0][1]} and {states[1][1]}: the {_zipf_choice(rng, PHRASES)} question")
    body = " ".join(_sentence(rng, states) for _ in range(rng.randint(12, 25)))
    lit(article, V.SCHEMA + "articleBody", body)
    lit(article, V.SCHEMA + "datePublished", (dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1095))).isoformat(),
        V.XSD + "date")
    iri(article, V.SCHEMA + "publisher", publisher)
    for n in range(1, rng.randint(3, 8) + 1):
        claim = f"{article}/claim/{n}"
        a(claim, V.CLAIM, V.CREATIVE_WORK)
        lit(claim, V.SCHEMA + "text", " ".join(_sentence(rng, states) for _ in range(rng.randint(1, 3))))
        iri(claim, V.SCHEMA + "author", rng.choice(authors + officials))
        iri(claim, V.SCHEMA + "appearance", article)
        for key, _, _ in rng.sample(states, rng.randint(1, 2)):
            iri(claim, V.SCHEMA + "about", BASE + f"state/{key}")
    for m, target in enumerate([BASE + f"state/{k}" for k, _, _ in states] + officials):  # mention nodes (NIF)
        for j in range(2):
            span = f"{article}/span/{m}-{j}"
            a(span, V.NIF_PHRASE, V.MENTION)
            iri(span, V.ITSRDF + "taIdentRef", target)
            lit(span, V.NIF + "beginIndex", 100 * m + j, V.XSD + "nonNegativeInteger")
    return "\n".join(lines) + "\n"


# -- measuring -----------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


def timed(fn: Callable[[], object], reps: int) -> dict:
    lat = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        lat.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(pct(lat, 50), 3), "p99_ms": round(pct(lat, 99), 3), "n": reps}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


class QueryMaker:
    """The questions, several per kind with different words (deterministic)."""

    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        words = sorted({w for p in PHRASES for w in p.split()} | {w for v in VERBS for w in v.split() if len(w) > 3})
        self.common = [p.split()[0] for p in PHRASES[:3]]  # the most frequent phrases' first words
        self.words = [w for w in words if len(w) > 4]

    def make(self, kind: str) -> dict:
        r = self.rng
        if kind == "term":
            return {"q": r.choice(self.words)}
        if kind == "common":
            return {"q": r.choice(self.common)}
        if kind == "phrase":
            return {"phrase": r.choice(PHRASES)}
        if kind == "prefix":
            return {"prefix": r.choice(self.words)[:5]}
        if kind == "filtered":
            start = dt.date(2022, 1, 1) + dt.timedelta(days=r.randrange(700))
            return {"q": r.choice(self.words), "state": BASE + f"state/{r.choice(STATES)[0]}",
                    "from": start.isoformat(), "to": (start + dt.timedelta(days=365)).isoformat()}
        raise ValueError(kind)


def search_request(spec: dict) -> SearchRequest:
    if "phrase" in spec:
        return SearchRequest(f'"{spec["phrase"]}"')
    if "prefix" in spec:
        return SearchRequest(spec["prefix"] + "*")
    if "state" in spec:
        return SearchRequest(spec["q"], kinds=(Kind.CLAIM,), states=(spec["state"],),
                             date_from=spec["from"], date_to=spec["to"])
    return SearchRequest(spec["q"])


SPARQL_TEXT = """PREFIX schema: <http://schema.org/>
SELECT {select} WHERE {{
  VALUES ?p {{ schema:text schema:headline schema:articleBody schema:name schema:alternateName }}
  ?s ?p ?t FILTER({cond}) }} {limit}"""
SPARQL_FILTERED = """PREFIX schema: <http://schema.org/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT {select} WHERE {{
  ?s a schema:Claim ; schema:text ?t ; schema:about <{state}> ; schema:appearance ?a .
  ?a schema:datePublished ?d
  FILTER(?d >= "{start}"^^xsd:date && ?d <= "{end}"^^xsd:date && CONTAINS(LCASE(?t), "{word}")) }} {limit}"""


def sparql_query(spec: dict, count: bool) -> str:
    select, limit = ("(COUNT(DISTINCT ?s) AS ?n)", "") if count else ("DISTINCT ?s", "LIMIT 10")
    if "state" in spec:
        return SPARQL_FILTERED.format(select=select, limit=limit, state=spec["state"], start=spec["from"],
                                      end=spec["to"], word=spec["q"].lower())
    if "prefix" in spec:
        cond = f'REGEX(?t, "\\\\b{spec["prefix"]}", "i")'
    else:
        cond = f'CONTAINS(LCASE(?t), "{(spec.get("phrase") or spec["q"]).lower()}")'
    return SPARQL_TEXT.format(select=select, cond=cond, limit=limit)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=200, help="searches per query kind (index engines)")
    ap.add_argument("--sparql-reps", type=int, default=10, help="searches per query kind (SPARQL)")
    ap.add_argument("--replace", type=int, default=50, help="single-document replacements to time")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    report: dict = {"articles": args.articles, "workdir": str(work)}
    print(f"workdir {work}", file=sys.stderr)

    # 1-2. generate and load
    t0 = time.perf_counter()
    docs = list(generate(args.articles))
    report["generate_s"] = round(time.perf_counter() - t0, 2)
    store = ox.Store(str(work / "store"))
    t0 = time.perf_counter()
    nquads = "".join(nt.replace(" .\n", f" <{g}> .\n") for g, nt in docs)
    store.bulk_load(nquads.encode(), format=ox.RdfFormat.N_QUADS)
    store.flush()
    report["store"] = {"triples": len(store), "load_s": round(time.perf_counter() - t0, 2),
                       "size_mb": round(dir_size(work / "store") / 1e6, 1)}
    del nquads

    class Queryable:  # the GraphStore interface's query, over the raw pyoxigraph store
        def query(self, q, **kw):
            return store.query(q, **kw)

    # 3. entries from the store, as reindex reads them
    t0 = time.perf_counter()
    graphs: list[IndexedGraph] = []
    names = [g for g, _ in docs]
    for i in range(0, len(names), 100):
        batch = read_graph_triples(Queryable(), names[i:i + 100])
        graphs += [graph_entries(g, batch[g]) for g in names[i:i + 100]]
    report["entries"] = {"count": sum(len(g.entries) for g in graphs),
                         "from_store_s": round(time.perf_counter() - t0, 2)}

    fts = Fts5Index(work / "search.sqlite")
    t0 = time.perf_counter()
    for i in range(0, len(graphs), 100):
        fts.replace_graphs(graphs[i:i + 100])
    fts._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    report["fts5"] = {"build_s": round(time.perf_counter() - t0, 2),
                      "size_mb": round(dir_size(work / "search.sqlite") / 1e6, 1)}
    tan = SearchIndex(work / "tantivy")  # ClaimGraph's index
    t0 = time.perf_counter()
    for i in range(0, len(graphs), 100):
        tan.replace_graphs(graphs[i:i + 100])
    report["tantivy"] = {"build_s": round(time.perf_counter() - t0, 2),
                         "size_mb": round(dir_size(work / "tantivy") / 1e6, 1)}

    # 4. replace one document
    rng = random.Random(3)
    picks = rng.sample(range(args.articles), args.replace)
    new_versions = {i: (docs[i][0], _document(random.Random(f"7-{i}-1"), i)) for i in picks}
    new_graphs = {i: graph_entries(g, triples_from_ntriples(nt)) for i, (g, nt) in new_versions.items()}
    it = iter(picks)
    report["fts5"]["replace_doc"] = timed(lambda: fts.replace_graph(new_graphs[next(it)]), args.replace)
    it = iter(picks)
    report["tantivy"]["replace_doc"] = timed(lambda: tan.replace_graph(new_graphs[next(it)]), args.replace)
    it = iter(picks)

    def store_replace():
        g, nt = new_versions[next(it)]
        store.update(f"DROP SILENT GRAPH <{g}> ;\nINSERT DATA {{ GRAPH <{g}> {{\n{nt}\n}} }}")
    report["store"]["replace_doc"] = timed(store_replace, args.replace)

    # 5. queries
    kinds = ["term", "common", "phrase", "prefix", "filtered"]
    report["queries"] = {}
    for kind in kinds:
        maker = QueryMaker(seed=hash(kind) % 1000)
        specs = [maker.make(kind) for _ in range(args.reps)]
        row: dict = {}
        it = iter(specs)
        totals = []
        row["fts5"] = timed(lambda: totals.append(fts.search(search_request(next(it))).total), args.reps)
        row["fts5"]["mean_hits"] = round(statistics.mean(totals), 1)
        it = iter(specs)
        counts = []
        row["tantivy"] = timed(lambda: counts.append(tan.search(search_request(next(it))).total), args.reps)
        row["tantivy"]["mean_hits"] = round(statistics.mean(counts), 1)
        for label, count in (("sparql_first10", False), ("sparql_all", True)):
            it = iter(specs[:args.sparql_reps])
            row[label] = timed(lambda: list(store.query(sparql_query(next(it), count), use_default_graph_as_union=True)),
                               args.sparql_reps)
        report["queries"][kind] = row
        print(f"  {kind}: done", file=sys.stderr)

    fts.close()
    tan.close()
    (work / "report.json").write_text(json.dumps(report, indent=2))
    print_report(report)
    return 0


def print_report(r: dict) -> None:
    engines = [e for e in ("fts5", "tantivy") if e in r]
    print(f"{r['articles']} articles, {r['store']['triples']} triples, {r['entries']['count']} search entries "
          f"(built from the store in {r['entries']['from_store_s']} s)")
    print(f"{'':28}" + "".join(f"{e:>14}" for e in engines) + f"{'oxigraph':>14}")
    print(f"{'build (s)':28}" + "".join(f"{r[e]['build_s']:>14}" for e in engines) + f"{r['store']['load_s']:>14}")
    print(f"{'size on disk (MB)':28}" + "".join(f"{r[e]['size_mb']:>14}" for e in engines) + f"{r['store']['size_mb']:>14}")
    for p in ("p50_ms", "p99_ms"):
        print(f"{'replace one doc ' + p:28}" + "".join(f"{r[e]['replace_doc'][p]:>14}" for e in engines)
              + f"{r['store']['replace_doc'][p]:>14}")
    cols = [*engines, "sparql_first10", "sparql_all"]
    print()
    print(f"{'query ms (p50 / p99)':28}" + "".join(f"{c:>20}" for c in cols) + f"{'hits':>20}")
    for kind, row in r["queries"].items():
        print(f"{kind:28}" + "".join(f"{row[c]['p50_ms']:>10.2f} /{row[c]['p99_ms']:>8.2f}" for c in cols)
              + f"{row['fts5']['mean_hits']:>10}{row['tantivy']['mean_hits']:>10}")
    print("\n(both indexes answer the same SearchRequest: ranked top 10, total, snippets, one hit per IRI; "
          "hits: mean total, FTS5 then Tantivy; sparql_first10: the first 10 matches, unranked; sparql_all: "
          "COUNT of all matches, what ranking them would need)")


if __name__ == "__main__":
    sys.exit(main())
