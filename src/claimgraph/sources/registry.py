"""The source registry: one YAML file listing what to ingest and when.

Default `sources.yaml` at the project root, or the file `CLAIMGRAPH_SOURCES`
names (`config.Settings.registry_path`). See `sources.example.yaml` for every field:

    fetch:                      # optional, for every web source
      user_agent: "ClaimGraph/0.1 (+mailto:you@example.org)"
      timeout: 20               # seconds per request
      retries: 2
      per_host: 2               # requests in flight per host
    sources:
      - name: harbour-review    # unique; names the Prefect deployment
        kind: feed              # one of sources/kinds.py's SOURCE_KINDS: folder | glob | page | feed | sitemap
        location: https://example.org/feed.xml   # URL, folder, or glob (relative to this file)
        publisher: Harbour Policy Review
        publisher_kind: think_tank               # optional: an OrgKind value
        article_kind: analysis                   # optional: analysis | opinion | news
        language: en
        schedule: "0 */6 * * *"  # cron, or an interval in seconds (3600)
        enabled: true
        max_documents: 50        # optional: at most this many per run (feeds, sitemaps)

A bad entry is reported with its line number (from yaml's node marks) and
skipped; the other entries still load. `add_source`/`remove_source` edit the
file in place, keeping its comments and layout where they can.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

from ..model import OrgKind
from .http import FetchConfig
from .kinds import SOURCE_KINDS

ARTICLE_KINDS = ("analysis", "opinion", "news")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_FETCH_FIELDS = {"user_agent": str, "timeout": float, "retries": int, "per_host": int,
                 "respect_robots": bool, "max_bytes": int, "backoff": float}


@dataclass(frozen=True)
class SourceSpec:
    """One registry entry. Hashable: a Prefect task input and a deployment parameter source."""

    name: str
    kind: str
    location: str  # URL, or an absolute folder/glob (resolved against the registry file)
    publisher: str | None = None
    publisher_kind: str | None = None
    article_kind: str | None = None
    language: str | None = None
    schedule: str | int | None = None  # cron string, or interval in seconds
    enabled: bool = True
    max_documents: int | None = None
    line: int = 0  # where the entry starts in the registry file (1-based)

    @property
    def is_web(self) -> bool:
        return SOURCE_KINDS[self.kind].web if self.kind in SOURCE_KINDS else False

    @property
    def defaults(self):
        """What this source says about all its documents, for the pipeline's prepare stage."""
        from ..pipeline import SourceDefaults

        return SourceDefaults(publisher=self.publisher, publisher_kind=self.publisher_kind,
                              article_kind=self.article_kind, language=self.language)

    @property
    def interval_seconds(self) -> int | None:
        return self.schedule if isinstance(self.schedule, int) else None

    @property
    def cron(self) -> str | None:
        return self.schedule if isinstance(self.schedule, str) else None

    def to_yaml_dict(self, base: Path | None = None) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "line" or v is None or (f.name == "enabled" and v is True):
                continue
            if f.name == "location" and base is not None and not self.is_web:
                try:
                    v = str(Path(v).relative_to(base))
                except ValueError:
                    pass
            out[f.name] = v
        return out


@dataclass(frozen=True)
class RegistryIssue:
    """A problem with one entry (or the file), with the line at fault."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Registry:
    path: Path
    sources: list[SourceSpec] = field(default_factory=list)
    issues: list[RegistryIssue] = field(default_factory=list)
    fetch: FetchConfig = field(default_factory=FetchConfig)

    def get(self, name: str) -> SourceSpec:
        for s in self.sources:
            if s.name == name:
                return s
        bad = [i for i in self.issues if f"'{name}'" in i.message]
        hint = f" (its entry is invalid: {bad[0]})" if bad else ""
        raise KeyError(f"no source named {name!r} in {self.path}{hint}")

    @property
    def enabled(self) -> list[SourceSpec]:
        return [s for s in self.sources if s.enabled]


class RegistryError(Exception):
    """The registry file as a whole cannot be read (missing, not YAML, wrong shape)."""


def default_registry_path() -> Path:
    from ..config import get_settings

    return get_settings().registry_path


def _scalar(node: yaml.Node):
    """The Python value of a scalar node, as safe_load would give it."""
    return yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _parse_schedule(value, problems: list[str]) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append("schedule must be a cron string or an interval in seconds")
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = int(float(value))
        if seconds < 1:
            problems.append(f"schedule interval must be at least 1 second, not {value}")
            return None
        return seconds
    if isinstance(value, str):
        cron = " ".join(value.split())
        error = cron_error(cron)
        if error:
            problems.append(f"schedule {value!r} is not a valid cron expression ({error})")
            return None
        return cron
    problems.append("schedule must be a cron string or an interval in seconds")
    return None


def cron_error(expr: str) -> str | None:
    """None when `expr` is a valid 5-field cron expression, else why not."""
    if len(expr.split()) != 5 and not expr.startswith("@"):
        return f"expected 5 fields, found {len(expr.split())}"
    try:
        from cronsim import CronSim, CronSimError  # installed with Prefect, which uses it for cron schedules
    except ImportError:  # pragma: no cover - without cronsim only the field count is checked
        return None
    from datetime import datetime

    try:
        CronSim(expr, datetime(2024, 1, 1))
    except CronSimError as exc:
        return str(exc)
    return None


def _entry(node: yaml.Node, problems: list[str]) -> dict | None:
    if not isinstance(node, yaml.MappingNode):
        problems.append("each source must be a mapping (name:, kind:, location:, ...)")
        return None
    known = {f.name for f in fields(SourceSpec)} - {"line"}
    raw: dict = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if key not in known:
            problems.append(f"line {_line(key_node)}: unknown field {key!r} (known: {', '.join(sorted(known))})")
            continue
        if not isinstance(value_node, yaml.ScalarNode):
            problems.append(f"line {_line(value_node)}: {key} must be a single value")
            continue
        raw[key] = _scalar(value_node)
    return raw


def _spec(raw: dict, line: int, base: Path, problems: list[str]) -> SourceSpec | None:
    name = raw.get("name")
    if isinstance(name, bool):
        problems.append(f"name reads as {str(name).lower()} in YAML: quote it (name: \"...\")")
    elif not isinstance(name, str) or not _NAME_RE.match(name):
        problems.append("name is required: lower-case letters, digits, '-' or '_' (it names a Prefect deployment)"
                        if name is None else f"name {name!r} must be lower-case letters, digits, '-' or '_'")
    kind = raw.get("kind")
    if kind not in SOURCE_KINDS:
        problems.append(f"kind must be one of {', '.join(SOURCE_KINDS)}" + (f", not {kind!r}" if kind is not None else ""))
    location = raw.get("location")
    if not isinstance(location, str) or not location.strip():
        problems.append("location is required (a URL, a folder or a glob)")
    elif kind in SOURCE_KINDS:
        location, problem = SOURCE_KINDS[kind].check_location(location, base)
        if problem:
            problems.append(problem)
    pk = raw.get("publisher_kind")
    if pk is not None and pk not in {k.value for k in OrgKind}:
        problems.append(f"publisher_kind must be one of {', '.join(k.value for k in OrgKind)}, not {pk!r}")
    ak = raw.get("article_kind")
    if ak is not None and ak not in ARTICLE_KINDS:
        problems.append(f"article_kind must be one of {', '.join(ARTICLE_KINDS)}, not {ak!r}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"enabled must be true or false, not {enabled!r}")
    max_docs = raw.get("max_documents")
    if max_docs is not None and (not isinstance(max_docs, int) or isinstance(max_docs, bool) or max_docs < 1):
        problems.append(f"max_documents must be a positive whole number, not {max_docs!r}")
    schedule = _parse_schedule(raw.get("schedule"), problems)
    for key in ("publisher", "language"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raw[key] = str(raw[key])
    if problems:
        return None
    return SourceSpec(name=name, kind=kind, location=location.strip(), publisher=raw.get("publisher"),
                      publisher_kind=pk, article_kind=ak, language=raw.get("language"), schedule=schedule,
                      enabled=enabled, max_documents=max_docs, line=line)


def _fetch_config(node: yaml.Node | None, path: Path, issues: list[RegistryIssue]) -> FetchConfig:
    config = FetchConfig()
    if node is None:
        return config
    if not isinstance(node, yaml.MappingNode):
        issues.append(RegistryIssue(path, _line(node), "fetch: must be a mapping (user_agent, timeout, retries, per_host)"))
        return config
    changes = {}
    for key_node, value_node in node.value:
        key, value = _scalar(key_node), _scalar(value_node)
        kind = _FETCH_FIELDS.get(key)
        if kind is None:
            issues.append(RegistryIssue(path, _line(key_node), f"fetch: unknown setting {key!r} "
                                                               f"(known: {', '.join(_FETCH_FIELDS)})"))
            continue
        if kind is bool and not isinstance(value, bool) or kind in (int, float) and (
                not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0 and key != "retries"
                or value < 0) or kind is str and not isinstance(value, str):
            issues.append(RegistryIssue(path, _line(value_node), f"fetch: {key} has a bad value {value!r}"))
            continue
        changes[key] = kind(value)
    return replace(config, **changes)


def load_registry(path: Path | str | None = None) -> Registry:
    """Read the registry; bad entries become `issues` (with line numbers), good ones `sources`."""
    path = Path(path) if path else default_registry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{path}: no source registry here (create it with `claimgraph sources add`, "
                            "or copy sources.example.yaml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise RegistryError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    registry = Registry(path=path)
    if root is None:
        return registry
    if not isinstance(root, yaml.MappingNode):
        raise RegistryError(f"{path}:{_line(root)}: the registry must be a mapping with a 'sources:' list")
    top = {_scalar(k): (k, v) for k, v in root.value}
    for key, (k, _v) in top.items():
        if key not in ("sources", "fetch"):
            registry.issues.append(RegistryIssue(path, _line(k), f"unknown top-level key {key!r} (known: sources, fetch)"))
    registry.fetch = _fetch_config(top.get("fetch", (None, None))[1], path, registry.issues)
    sources_node = top.get("sources", (None, None))[1]
    if sources_node is None or (isinstance(sources_node, yaml.ScalarNode) and _scalar(sources_node) is None):
        return registry
    if not isinstance(sources_node, yaml.SequenceNode):
        raise RegistryError(f"{path}:{_line(sources_node)}: 'sources:' must be a list of entries")
    base = path.resolve().parent
    seen: dict[str, int] = {}
    for node in sources_node.value:
        problems: list[str] = []
        raw = _entry(node, problems)
        line = _line(node)
        spec = _spec(raw, line, base, problems) if raw is not None else None
        label = f"source {raw.get('name')!r}" if raw and raw.get("name") else "source"
        if spec is not None and spec.name in seen:
            problems.append(f"duplicate name (first used on line {seen[spec.name]})")
            spec = None
        if spec is None:
            registry.issues.append(RegistryIssue(path, line, f"{label}: " + "; ".join(problems)))
            continue
        seen[spec.name] = line
        registry.sources.append(spec)
    return registry


# ---------------------------------------------------------------------------- editing


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _entry_block(spec: SourceSpec, base: Path, indent: int) -> str:
    body = yaml.safe_dump([spec.to_yaml_dict(base)], sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "".join(" " * indent + line + "\n" for line in body.splitlines())


def add_source(path: Path | str, spec: SourceSpec) -> Registry:
    """Append an entry (validated as the loader would) and return the new registry.

    Raises ValueError with the reason when the entry is invalid or its name is taken.
    """
    path = Path(path)
    base = path.resolve().parent
    new = _spec({k: v for k, v in spec.to_yaml_dict().items()}, 0, base, problems := [])
    if new is None:
        raise ValueError("; ".join(problems))
    if not path.exists():
        text = "# ClaimGraph source registry (see sources.example.yaml)\nsources:\n"
        _write_atomically(path, text + _entry_block(new, base, 2))
        return load_registry(path)
    registry = load_registry(path)
    if any(s.name == new.name for s in registry.sources):
        raise ValueError(f"a source named {new.name!r} already exists in {path}")
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = None
    if isinstance(root, yaml.MappingNode):
        node = next((v for k, v in root.value if _scalar(k) == "sources"), None)
    lines = text.splitlines(keepends=True)
    if isinstance(node, yaml.SequenceNode) and node.value and node.flow_style is False:
        last = node.value[-1]
        indent = node.start_mark.column
        end = _end_line(last, lines)
        while end > last.start_mark.line + 1 and not lines[end - 1].strip():
            end -= 1  # keep blank lines after the entry where they are
        if end > 0 and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        lines.insert(end, _entry_block(new, base, indent))
        new_text = "".join(lines)
    else:
        # No block list to extend: rewrite the file (comments are lost here only).
        data = yaml.safe_load(text) or {}
        data["sources"] = list(data.get("sources") or []) + [new.to_yaml_dict(base)]
        new_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    _check_and_write(path, new_text)
    return load_registry(path)


def remove_source(path: Path | str, name: str) -> Registry:
    """Remove every entry named `name` (their lines only). Raises KeyError when there is none."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = next((v for k, v in root.value if _scalar(k) == "sources"), None) if isinstance(root, yaml.MappingNode) else None
    items = [item for item in (node.value if isinstance(node, yaml.SequenceNode) else [])
             if isinstance(item, yaml.MappingNode) and any(_scalar(k) == "name" and _scalar(v) == name
                                                          for k, v in item.value)]
    if not items:
        raise KeyError(f"no source named {name!r} in {path}")
    if node.flow_style:
        data = yaml.safe_load(text)
        data["sources"] = [s for s in data["sources"] if not (isinstance(s, dict) and s.get("name") == name)]
        new_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        lines = text.splitlines(keepends=True)
        for item in reversed(items):
            start = item.start_mark.line
            end = _end_line(item, lines)
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            del lines[start:end]
        new_text = "".join(lines)
        if len(items) == len(node.value):
            new_text = re.sub(r"(?m)^sources:\s*$", "sources: []", new_text, count=1)
    _check_and_write(path, new_text)
    return load_registry(path)


def _end_line(node: yaml.Node, lines: list[str]) -> int:
    """The line after a node's last line (0-based, exclusive). Its end mark sits where the next
    token starts: at the start of that token's line (after indentation), or past the node's text."""
    mark = node.end_mark
    if mark.line >= len(lines) or not lines[mark.line][: mark.column].strip():
        return mark.line
    return mark.line + 1


def _check_and_write(path: Path, new_text: str) -> None:
    try:
        yaml.safe_load(new_text)
    except yaml.YAMLError as exc:  # pragma: no cover - a bug in the editing above
        raise ValueError(f"editing {path} would break it ({exc}); the file is unchanged") from exc
    _write_atomically(path, new_text)
