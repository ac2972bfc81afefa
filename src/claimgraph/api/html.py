"""Small HTML helpers for the human-facing pages: one layout, escaping, links.

Plain f-strings with `html.escape`: every value that comes from data goes
through `esc` (or `link`, which escapes both the text and the address).
"""
from __future__ import annotations

from html import escape

from ..vocab import PREFIXES

STYLE = """
 :root { color-scheme: light; }
 body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 1.5rem auto; padding: 0 1rem;
        line-height: 1.45; color: #1d2330; }
 header.site { display: flex; gap: 1.2rem; align-items: baseline; border-bottom: 1px solid #d8dce6;
               padding-bottom: .4rem; margin-bottom: 1rem; font-size: .95rem; }
 header.site b { font-size: 1.05rem; }
 a { color: #1a5fb4; text-decoration: none; } a:hover { text-decoration: underline; }
 h1 { margin: .2rem 0; font-size: 1.6rem; } h2 { margin-top: 1.8rem; font-size: 1.15rem; border-bottom: 1px solid #eee; }
 .iri { font-family: ui-monospace, monospace; font-size: .85rem; color: #5b6275; word-break: break-all; }
 table { border-collapse: collapse; width: 100%; } td, th { text-align: left; vertical-align: top;
        padding: .3rem .5rem; border-bottom: 1px solid #eef0f4; } th { width: 16rem; font-weight: 600; }
 .lit { white-space: pre-wrap; } .dt, .lang { color: #8a90a0; font-size: .8rem; }
 .types a, .tag { display: inline-block; background: #eef3fb; border-radius: .3rem; padding: 0 .4rem; margin-right: .3rem; }
 mark { background: #fff1a8; padding: 0 .1rem; } blockquote { margin: .3rem 0 .8rem; padding-left: .8rem;
        border-left: 3px solid #d8dce6; } .muted { color: #6b7280; font-size: .9rem; }
 .bnode { margin-left: 1rem; border-left: 2px solid #eef0f4; padding-left: .5rem; }
 dl.term dt { font-weight: 600; } dl.term dd { margin: 0 0 .6rem 1rem; }
 section.term { margin: 1rem 0 1.4rem; } code { font-size: .9rem; }
"""


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def link(href: str, text: str | None = None, cls: str | None = None) -> str:
    c = f' class="{esc(cls)}"' if cls else ""
    return f'<a href="{esc(href)}"{c}>{esc(text if text is not None else href)}</a>'


def curie(iri: str, extra: dict[str, str] | None = None) -> str:
    """`http://schema.org/name` -> `schema:name` when a known prefix fits; else the IRI."""
    best = ""
    for prefix, ns in {**PREFIXES, **(extra or {})}.items():
        if iri.startswith(ns) and len(ns) > len(best) and len(iri) > len(ns):
            best, name = ns, f"{prefix}:{iri[len(ns):]}"
    return name if best else iri


def page(title: str, body: str, *, head: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · ClaimGraph</title>
<style>{STYLE}</style>
{head}
</head>
<body>
<header class="site"><b><a href="/">ClaimGraph</a></b> <a href="/">SPARQL</a>
<a href="/ontology">Ontology</a> <a href="/.well-known/void">Dataset (VoID)</a> <a href="/docs">API</a></header>
{body}
</body>
</html>
"""
