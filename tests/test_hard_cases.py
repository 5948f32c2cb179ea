"""The hard-case suite of issue 16 (benchmarks/hard_cases.py): at least 48 of its 50 cases pass."""

from __future__ import annotations

from pathlib import Path

from benchmarks.hard_cases import CASES, build, report, run

TARGET = 48


def test_the_suite_has_fifty_cases_covering_every_numbered_case() -> None:
    assert len(CASES) == 50
    assert {c.note for c in CASES} == set(range(1, 13))


def test_at_least_48_of_50_hard_cases_pass(tmp_path: Path) -> None:
    failures = run(build(tmp_path))
    assert len(CASES) - len(failures) >= TARGET, report(failures)
