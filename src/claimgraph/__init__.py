"""ClaimGraph: analysis articles on international affairs -> knowledge graph -> SPARQL."""

__version__ = "0.1.0"
