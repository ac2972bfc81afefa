"""HTML for the human-facing pages: Jinja2 templates (templates/), autoescaped.

Every value that comes from data is escaped by the template engine
(`autoescape` is on for every template); Python code never assembles HTML.
`href` gives a link target only for http(s) IRIs and paths on this server,
so a `javascript:` or other scheme in the data becomes plain text.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..vocab import PREFIXES

TEMPLATES = Path(__file__).resolve().parent / "templates"


def curie(iri: str, extra: dict[str, str] | None = None) -> str:
    """`http://schema.org/name` -> `schema:name` when a known prefix fits; else the IRI."""
    best = ""
    for prefix, ns in {**PREFIXES, **(extra or {})}.items():
        if iri.startswith(ns) and len(ns) > len(best) and len(iri) > len(ns):
            best, name = ns, f"{prefix}:{iri[len(ns):]}"
    return name if best else iri


def safe_href(target: str | None) -> str | None:
    """`target` when it may be a link (an http(s) IRI, or a path/query/fragment on this server), else None."""
    if not target:
        return None
    if target.startswith(("/", "?", "#")) and not target.startswith("//"):
        return target
    return target if urlsplit(target).scheme.lower() in ("http", "https") else None


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["curie"] = curie
    env.filters["href"] = safe_href
    return env


def render(template: str, **context) -> str:
    """The page `template` (a file in templates/) with `context`, every value escaped."""
    return environment().get_template(template).render(**context)
