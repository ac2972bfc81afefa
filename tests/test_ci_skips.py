"""The guard CI relies on (ci_skips.py): a small suite of three tests, one passing, one
skipped by a mark, one skipped from inside, run by a real pytest in a subprocess with and
without CI and with an allow-list."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import HANG_S, TESTS

SUITE = textwrap.dedent('''
    import pytest

    def test_runs():
        assert 1 + 1 == 2

    @pytest.mark.skipif(True, reason="no frobnicator here")
    def test_marked():
        pass

    @pytest.mark.parametrize("n", [1, 2])
    def test_inside(n):
        pytest.skip("the widget is missing")
''')


def run_suite(folder: Path, **env: str) -> subprocess.CompletedProcess:
    (folder / "test_small.py").write_text(SUITE)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -ra\n")  # not the project's settings
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "CLAIMGRAPH_CI", "CLAIMGRAPH_CI_ALLOWED_SKIPS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "ci_skips", "-p", "no:cacheprovider"],
                          cwd=folder, env={**clean, "PYTHONPATH": str(TESTS), **env},
                          capture_output=True, text=True, timeout=HANG_S)


def test_outside_ci_a_skip_is_a_skip(tmp_path):
    result = run_suite(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 3 skipped" in result.stdout
    assert "skips in CI" not in result.stdout


@pytest.mark.parametrize("switch", [{"CI": "true"}, {"CLAIMGRAPH_CI": "1"}])
def test_in_ci_every_skip_fails_with_its_reason(tmp_path, switch):
    result = run_suite(tmp_path, **switch)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 allow-listed skipped, 3 skipped without being allow-listed" in result.stdout
    assert "FAILED  test_small.py::test_marked: no frobnicator here" in result.stdout
    assert "FAILED  test_small.py::test_inside[1]: the widget is missing" in result.stdout
    assert "1 passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]


def test_in_ci_allow_listed_skips_pass_and_are_listed_with_the_reason(tmp_path):
    allowed = textwrap.dedent('''
        # comments and blank lines are ignored

        test_small.py::test_marked   frobnicators exist only on the lab machine
        test_small.py::test_inside   a prefix: both parameters
    ''')
    result = run_suite(tmp_path, CI="true", CLAIMGRAPH_CI_ALLOWED_SKIPS=allowed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 allow-listed skipped, 0 skipped without being allow-listed" in result.stdout
    assert ("ALLOWED test_small.py::test_marked: no frobnicator here "
            "(allow-listed: frobnicators exist only on the lab machine)") in result.stdout
    assert "1 passed, 3 skipped" in result.stdout


def test_in_ci_an_allow_list_entry_covers_only_its_own_tests(tmp_path):
    result = run_suite(tmp_path, CI="true", CLAIMGRAPH_CI_ALLOWED_SKIPS="test_small.py::test_inside[2] one case")
    assert result.returncode == 1
    assert "1 allow-listed skipped, 2 skipped without being allow-listed" in result.stdout
    assert "FAILED  test_small.py::test_inside[1]" in result.stdout
    assert "FAILED  test_small.py::test_marked" in result.stdout


def test_in_ci_a_module_skipped_whole_fails(tmp_path):
    (tmp_path / "test_needs_a_module.py").write_text(
        'import pytest\npytest.importorskip("claimgraph_no_such_module")\n\ndef test_a():\n    assert True\n')
    result = run_suite(tmp_path, CI="true")
    assert result.returncode != 0
    assert "FAILED  test_needs_a_module.py: could not import 'claimgraph_no_such_module'" in result.stdout
