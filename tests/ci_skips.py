"""In CI a skipped test is a failed one, unless it is on the allow-list.

CI is on when `CI=true` (or `1`) or `CLAIMGRAPH_CI=1`. The allow-list comes from
`CLAIMGRAPH_CI_ALLOWED_SKIPS`, which `.ci/run` sets: one line per test id (or an
id prefix: a file, a test without its parameters), then the reason CI may skip
it; blank lines and `#` comments are ignored. A skipped test that is not listed
is reported as failed, with its skip reason; the run ends with a "skips in CI"
section listing both kinds. pytest-error-for-skips does the first half with no
allow-list (and on pytest < 5 only), so the dozen lines are ours.

conftest.py imports the hooks, so they apply to the whole suite;
test_ci_skips.py runs them on a small suite of its own (`-p ci_skips`).
"""
from __future__ import annotations

import os

import pytest

CI = os.environ.get("CLAIMGRAPH_CI") == "1" or os.environ.get("CI", "").lower() in ("true", "1")


def _allow_list(text: str) -> dict[str, str]:
    """`test id (or prefix)  reason` per line; blank lines and # comments ignored."""
    entries = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            test_id, _, reason = line.partition(" ")
            entries[test_id] = reason.strip() or "(no reason given)"
    return entries


ALLOWED_SKIPS = _allow_list(os.environ.get("CLAIMGRAPH_CI_ALLOWED_SKIPS", ""))
_ci_skips: dict[str, list[tuple[str, str]]] = {"allowed": [], "failed": []}


def _allowed(nodeid: str) -> str | None:
    for test_id, reason in ALLOWED_SKIPS.items():
        if nodeid == test_id or nodeid.startswith((test_id + "::", test_id + "[")):
            return reason
    return None


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _ci_judge(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if _allowed(report.nodeid) is not None:
        _ci_skips["allowed"].append((report.nodeid, reason))
        return
    _ci_skips["failed"].append((report.nodeid, reason))
    report.outcome = "failed"
    report.longrepr = f"skipped in CI and not on .ci/run's allow-list: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    _ci_judge(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    _ci_judge(report)  # a module skipped as a whole
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not CI:
        return
    tr = terminalreporter
    tr.section("skips in CI")
    tr.write_line(f"{len(_ci_skips['allowed'])} allow-listed skipped, "
                  f"{len(_ci_skips['failed'])} skipped without being allow-listed (counted as failed)")
    for nodeid, reason in _ci_skips["allowed"]:
        tr.write_line(f"ALLOWED {nodeid}: {reason} (allow-listed: {_allowed(nodeid)})")
    for nodeid, reason in _ci_skips["failed"]:
        tr.write_line(f"FAILED  {nodeid}: {reason}")
