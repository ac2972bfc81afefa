"""Minting IRIs: every node the graph creates lives under one configurable base,
so that each resolves to a page on the running server."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote


def slugify(text: str) -> str:
    """A stable, readable key part: ASCII, lower case, hyphens ("Yoon Suk-yeol" -> "yoon-suk-yeol")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "x"


@dataclass(frozen=True)
class Iris:
    base: str  # ends with "/"

    def entity(self, key: str) -> str:
        """`key` is an Entity.key such as "person/yoon-suk-yeol" or "state/KOR"."""
        return self.base + quote(key, safe="/-_.~")

    def article(self, source_id: str) -> str:
        return f"{self.base}article/{quote(source_id, safe='-_.~')}"

    def graph(self, source_id: str) -> str:
        return f"{self.base}graph/{quote(source_id, safe='-_.~')}"

    def source(self, source_id: str) -> str:
        # Short on purpose: the source's id must be readable in the IRI itself.
        return f"{self.base}src/{quote(source_id, safe='-_.~')}"

    def run(self, run_id: str) -> str:
        return f"{self.base}run/{quote(run_id, safe='-_.~')}"

    def run_graph(self, run_id: str) -> str:
        return f"{self.base}graph/run/{quote(run_id, safe='-_.~')}"

    def claim(self, source_id: str, n: int) -> str:
        return f"{self.article(source_id)}/claim/{n}"

    def comment(self, source_id: str, n: int) -> str:
        return f"{self.article(source_id)}/comment/{n}"

    def work(self, key: str) -> str:
        return f"{self.base}work/{quote(key, safe='-_.~')}"

    def span(self, source_id: str, context: str, start: int, end: int) -> str:
        """A NIF string IRI (RFC 5147 fragment) for characters start..end of a context."""
        return f"{self.article(source_id)}/{context}#char={start},{end}"

    def context(self, source_id: str, context: str) -> str:
        return f"{self.article(source_id)}/{context}"

    def local(self, source_id: str, kind: str, n: int | str) -> str:
        """Document-local nodes (memberships, credentials, posts, translations)."""
        return f"{self.article(source_id)}/{kind}/{quote(str(n), safe='-_.~')}"
