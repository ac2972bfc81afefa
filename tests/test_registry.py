"""The source registry: entries, line numbers of bad ones, editing in place, and the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest

from claimgraph.sources.registry import (
    RegistryError,
    SourceSpec,
    add_source,
    load_registry,
    remove_source,
)
from claimgraph.cli.sources import main as sources_cli

from conftest import ROOT

GOOD_AND_BAD = """\
# a comment that editing must keep
fetch:
  timeout: 5
  per_host: 3
sources:
  - name: local
    kind: folder
    location: pages
    schedule: 3600
  - name: bad-kind
    kind: podcast
    location: https://example.org/x
  - name: feed-one
    kind: feed
    location: https://example.org/feed.xml
    schedule: "*/15 * * * *"
    publisher: Example Review
    publisher_kind: think_tank
  - name: bad-cron
    kind: page
    location: https://example.org/a
    schedule: "every tuesday"
  - kind: page
    location: https://example.org/b
  - name: feed-one
    kind: page
    location: https://example.org/c
  - name: typo
    kind: page
    location: https://example.org/d
    shedule: 60
  - name: not-a-url
    kind: feed
    location: /var/feeds/x.xml
  - name: archive
    kind: sitemap
    location: https://example.org/sitemap.xml
    enabled: false
"""


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    (tmp_path / "pages").mkdir()
    path = tmp_path / "sources.yaml"
    path.write_text(GOOD_AND_BAD)
    return path


def test_good_entries_load_and_bad_ones_are_reported_with_their_line(registry_file: Path):
    reg = load_registry(registry_file)
    assert [s.name for s in reg.sources] == ["local", "feed-one", "archive"]
    local, feed, archive = reg.sources
    assert local.location == str(registry_file.parent / "pages") and local.interval_seconds == 3600
    assert feed.cron == "*/15 * * * *" and feed.publisher_kind == "think_tank" and feed.line == 13
    assert not archive.enabled and [s.name for s in reg.enabled] == ["local", "feed-one"]
    assert reg.fetch.timeout == 5 and reg.fetch.per_host == 3
    issues = {i.line: i.message for i in reg.issues}
    assert "kind must be one of" in issues[10] and "'podcast'" in issues[10]
    assert "not a valid cron expression" in issues[19]
    assert "name is required" in issues[23]
    assert "duplicate name (first used on line 13)" in issues[25]
    assert "unknown field 'shedule'" in issues[28] and "line 31" in issues[28]
    assert "must be an http(s) URL" in issues[32]
    assert len(reg.issues) == 6
    assert str(reg.issues[0]).startswith(f"{registry_file}:10: source 'bad-kind': ")


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - name: a\n    kind: [unclosed\n")
    with pytest.raises(RegistryError, match=r"sources.yaml:\d+: not valid YAML"):
        load_registry(path)
    with pytest.raises(RegistryError, match="no source registry"):
        load_registry(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(RegistryError, match=":1: the registry must be a mapping"):
        load_registry(tmp_path / "list.yaml")


def test_the_example_registry_is_valid():
    reg = load_registry(ROOT / "sources.example.yaml")
    assert not reg.issues, [str(i) for i in reg.issues]
    assert {s.kind for s in reg.sources} == {"folder", "glob", "page", "feed", "sitemap"}
    assert [s.name for s in reg.enabled] == ["seeds"]


def test_add_and_remove_keep_comments_and_other_entries(registry_file: Path):
    reg = add_source(registry_file, SourceSpec(name="new-feed", kind="feed", location="https://example.org/n.xml",
                                               schedule="0 * * * *", language="en"))
    text = registry_file.read_text()
    assert "# a comment that editing must keep" in text
    assert text.index("name: new-feed") > text.index("name: archive")  # appended to the list
    assert [s.name for s in reg.sources] == ["local", "feed-one", "archive", "new-feed"]
    assert reg.get("new-feed").cron == "0 * * * *" and len(reg.issues) == 6

    with pytest.raises(ValueError, match="already exists"):
        add_source(registry_file, SourceSpec(name="local", kind="page", location="https://example.org/z"))
    with pytest.raises(ValueError, match="kind must be one of"):
        add_source(registry_file, SourceSpec(name="x", kind="podcast", location="https://example.org/z"))
    assert registry_file.read_text() == text  # refused additions change nothing

    reg = remove_source(registry_file, "feed-one")  # both entries of that name
    assert [s.name for s in reg.sources] == ["local", "archive", "new-feed"] and len(reg.issues) == 5
    assert "Example Review" not in registry_file.read_text()
    assert "# a comment that editing must keep" in registry_file.read_text()
    with pytest.raises(KeyError):
        remove_source(registry_file, "feed-one")


def test_add_creates_the_file_and_remove_can_empty_it(tmp_path: Path):
    path = tmp_path / "sub" / "sources.yaml"
    add_source(path, SourceSpec(name="one", kind="page", location="https://example.org/1", schedule=600))
    assert load_registry(path).get("one").interval_seconds == 600
    reg = remove_source(path, "one")
    assert reg.sources == [] and reg.issues == []


def test_cli_list_add_remove(registry_file: Path, capsys):
    assert sources_cli(["sources", "--registry", str(registry_file), "list"]) == 1  # invalid entries
    out, err = capsys.readouterr()
    assert "feed-one" in out and "*/15 * * * *" in out and "every 3600s" in out
    assert f"{registry_file}:19: source 'bad-cron'" in err

    assert sources_cli(["sources", "--registry", str(registry_file), "add", "wire", "--kind", "feed",
                        "--location", "https://example.org/wire.xml", "--schedule", "900"]) == 0
    assert load_registry(registry_file).get("wire").interval_seconds == 900
    assert sources_cli(["sources", "--registry", str(registry_file), "add", "wire2", "--kind", "feed",
                        "--location", "https://example.org/w.xml", "--schedule", "61 * * * *"]) == 1
    assert "not a valid cron" in capsys.readouterr().err
    assert sources_cli(["sources", "--registry", str(registry_file), "remove", "wire"]) == 0
    assert sources_cli(["sources", "--registry", str(registry_file), "remove", "wire"]) == 1
    assert "no source named 'wire'" in capsys.readouterr().err


def test_schedule_refuses_to_start_without_a_prefect_server(registry_file: Path, monkeypatch, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        assert sources_cli(["schedule", "--registry", str(registry_file)]) == 2
    assert "Schedules only fire against a Prefect server" in capsys.readouterr().err
