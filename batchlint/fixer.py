"""The fixer: the one component that applies edits.

Like ruff: in each round the applicable fixes are taken in order and a fix whose edits overlap an
edit already chosen is left for the next round; the chosen edits are applied in memory, the result
must still parse, and everything is checked again with the fixed text standing in for the files, until
nothing fixable is left (at most MAX_FIX_ROUNDS). Then every fixed value must read back as its fix
intended, or that file's changes are dropped; only then are files written, atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from batchlint.engine import check
from batchlint.fixes import ACCUMULATION, Edit, FixConflict, WriteError, apply_edits, write_atomic
from batchlint.loading import LoadError, load_text
from batchlint.model import FactName
from batchlint.options import Options
from batchlint.paths import display_path
from batchlint.report import Report
from batchlint.roundtrip import RoundTripError, check_round_trip
from batchlint.rules import Diagnostic

MAX_FIX_ROUNDS = 4


@dataclass
class FixResult:
    report: Report  # what remains after fixing
    applied: list[Diagnostic] = field(default_factory=list)  # findings whose fixes were applied
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # display path -> (old text, new text)
    errors: list[str] = field(default_factory=list)  # fixes refused or reverted, one line each


def _edited(diag: Diagnostic) -> set[str]:
    """The files a finding's fix edits (absolute paths)."""
    return {os.path.abspath(e.file) for e in diag.fix.edits} if diag.fix is not None else set()


def _overlaps(edit: Edit, other: Edit) -> bool:
    return edit.start < other.end and other.start < edit.end and (edit.start, edit.end, edit.content) != (other.start, other.end, other.content)


def select_fixes(pending: list[Diagnostic]) -> tuple[list[Diagnostic], dict[str, list[Edit]]]:
    """The fixes of one round, in order, none touching what an earlier chosen fix touches; the rest
    wait for the next round, which re-checks the changed text (ruff's "fix until stable")."""
    chosen: dict[str, list[Edit]] = {}
    taken: list[Diagnostic] = []
    for diag in pending:
        assert diag.fix is not None
        by_file: dict[str, list[Edit]] = {}
        for edit in diag.fix.edits:
            by_file.setdefault(os.path.abspath(edit.file), []).append(edit)
        if any(_overlaps(e, o) for f, es in by_file.items() for e in es for o in chosen.get(f, [])):
            continue
        for f, es in by_file.items():
            chosen.setdefault(f, []).extend(es)
        taken.append(diag)
    return taken, chosen


def _read_back(report: Report, applied: list[Diagnostic]) -> tuple[set[str], list[str]]:
    """Files whose fixed values do not read back as intended, with one line each saying so."""
    bad: set[str] = set()
    errors: list[str] = []
    runs = {run.config: run for run in report.runs}
    superseded: set[tuple[str, str]] = set()  # a later round's fix of the same value wins
    for diag in reversed(applied):
        assert diag.fix is not None
        for exp in diag.fix.expect:
            if (exp.config, exp.fact) in superseded:
                continue
            run = runs.get(exp.config)
            fact = None if run is None else run.accumulation if exp.fact == ACCUMULATION else run.get(FactName(exp.fact))
            if fact is None or fact.value != exp.value:
                got = "nothing" if fact is None else repr(fact.value)
                errors.append(f"{exp.config}: {diag.code} fix reverted: {exp.fact} reads back as {got}, not {exp.value!r}")
                bad.update(os.path.abspath(e.file) for e in diag.fix.edits)
        superseded.update((exp.config, exp.fact) for exp in diag.fix.expect)
    return bad, errors


def fix(paths: list[str], options: Options, unsafe: bool = False, write: bool = True, given: dict[str, str] | None = None) -> FixResult:
    """Apply applicable fixes in memory, re-check until nothing fixable is left (bounded), verify the
    intended values read back, then write every changed file atomically. `given` (absolute path ->
    text) is text that stands in for a file from the start (standard input)."""
    overlay: dict[str, str] = dict(given or {})  # absolute path -> current text
    originals: dict[str, str] = dict(given or {})  # absolute path -> text as first read
    applied: list[Diagnostic] = []
    errors: list[str] = []
    report = check(paths, options, overlay or None)
    for _ in range(MAX_FIX_ROUNDS):
        pending = [d for d in report.diagnostics if d.fix is not None and d.fix.applies(unsafe)]
        if not pending:
            break
        round_applied, chosen = select_fixes(pending)
        progressed = False
        for file, edits in chosen.items():
            old = overlay.get(file)
            if old is None:
                old = report.sources.get(display_path(file))
                if old is None:
                    continue
                originals.setdefault(file, old)
            try:
                new = apply_edits(old, edits)
                load_text(display_path(file), new)  # a result that would not parse is never kept
                check_round_trip(file, old, new, edits)  # ruamel.yaml: only the edited lines changed
            except (FixConflict, LoadError, RoundTripError) as exc:
                errors.append(f"{display_path(file)}: fix not applied: {exc}")
                round_applied = [d for d in round_applied if file not in _edited(d)]
                continue
            if new != old:
                overlay[file] = new
                progressed = True
        applied.extend(round_applied)
        if not progressed:
            break
        report = check(paths, options, overlay)

    bad_files, read_back_errors = _read_back(report, applied)
    errors.extend(read_back_errors)
    if bad_files:
        for file in bad_files:
            overlay.pop(file, None)
        applied = [d for d in applied if not _edited(d) & bad_files]
        report = check(paths, options, overlay)

    result = FixResult(report)
    for file, new in overlay.items():
        old = originals[file]
        if new == old:
            continue
        if write:
            try:
                write_atomic(file, new, old)
            except (WriteError, OSError) as exc:
                errors.append(f"{display_path(file)}: {exc}")
                applied = [d for d in applied if file not in _edited(d)]
                continue
        result.changed[display_path(file)] = (old, new)
    if write and errors:
        # What was not written must be re-checked from disk, so the remaining count is honest.
        written = {os.path.abspath(f): t[1] for f, t in result.changed.items()}
        result.report = check(paths, options, written)
    result.applied = applied
    result.errors = errors
    result.report.unsafe_fixes = unsafe
    return result
