"""The server's only door into the engine.

Every call the language server makes into batchlint's core goes through the small functions
here, so that a change of the core's entry points changes this one file. The rest of the server
reads the core's data model (diagnostics, runs, facts, fixes, spans) but never calls it.

Each check gets a fresh `Session` (the core keeps nothing at module level), so a settings file,
a launch config or a script changed on disk is read again by the next check; open buffers stand
in for their files through the session's overlay.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from batchlint.fixes import SAFE, UNSAFE
from batchlint.model import FactName, RunModel
from batchlint.options import Options
from batchlint.paths import display_path
from batchlint.report import Report
from batchlint.rules import Diagnostic

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash")
SETTINGS_NAMES = ("batchlint.toml", "pyproject.toml")


@dataclass
class Checked:
    """One check of one file: the core's report and what it read."""

    path: str  # absolute path of the checked file
    report: Report | None
    error: str | None = None  # a settings error that stopped the check, one line
    deps: set[str] = field(default_factory=set)  # absolute paths of every file the result depends on


def checkable(path: str) -> bool:
    """Whether the core checks this file (a YAML/JSON config or a shell launch script)."""
    return path.endswith(CONFIG_SUFFIXES + SCRIPT_SUFFIXES)


def is_settings_file(path: str) -> bool:
    return os.path.basename(path) in SETTINGS_NAMES


def _options() -> Options:
    return Options()  # everything else comes from the settings found per file, as `batchlint check` does


def _deps(path: str, report: Report) -> set[str]:
    deps = {path}
    deps.update(os.path.abspath(f) for f in report.sources)
    for run, pairing in zip(report.runs, report.pairings, strict=False):
        deps.update(os.path.abspath(doc.path) for doc in pairing.documents)
        if run.launch_script:
            deps.add(os.path.abspath(run.launch_script))
        if pairing.deepspeed is not None and pairing.deepspeed.path:
            deps.add(os.path.abspath(pairing.deepspeed.path))
        if run.settings is not None and run.settings.path:
            deps.add(os.path.abspath(run.settings.path))
    return deps


def check_file(path: str, overlay: dict[str, str]) -> Checked:
    """Check one file as `batchlint check PATH` would, reading open editor buffers (`overlay`:
    absolute path -> unsaved text) instead of the files on disk."""
    from batchlint.engine import check
    from batchlint.settings import SettingsError

    try:
        report = check([path], _options(), overlay=dict(overlay))
    except SettingsError as exc:
        return Checked(path, None, f"settings: {exc}")
    return Checked(path, report, None, _deps(path, report))


def fix_all_safe(path: str, overlay: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Apply every safe fix of one file in memory (re-checked, read back, nothing written):
    absolute path -> (old text, new text) of each file that changes."""
    from batchlint.fixer import fix
    from batchlint.settings import SettingsError

    try:
        result = fix([path], _options(), unsafe=False, write=False, given=dict(overlay))
    except SettingsError:
        return {}
    return {os.path.abspath(shown): texts for shown, texts in result.changed.items()}


def same_file(shown: str, path: str) -> bool:
    """Whether a path as the core displays it names the absolute `path`."""
    return os.path.abspath(shown) == path


def diagnostics_for(checked: Checked, path: str) -> list[Diagnostic]:
    """The findings located in `path` (a check may also report in the files it read)."""
    if checked.report is None:
        return []
    return [d for d in checked.report.diagnostics if same_file(d.span.file, path)]


def internal_errors(checked: Checked) -> list[str]:
    return list(checked.report.internal_errors) if checked.report is not None else []


def runs_for(checked: Checked, path: str) -> list[RunModel]:
    """The training runs whose facts are written in `path` (a training config or a launch script)."""
    if checked.report is None:
        return []
    return [run for run in checked.report.runs if run.is_training and any(f.span is not None and same_file(f.span.file, path) for f in run.facts())]


def fixes_for(checked: Checked, path: str) -> list[Diagnostic]:
    """The findings in `path` that carry edits (safe or unsafe)."""
    return [d for d in diagnostics_for(checked, path) if d.fix is not None and d.fix.edits and d.fix.applicability in (SAFE, UNSAFE)]


def text_of(checked: Checked, shown: str, overlay: dict[str, str]) -> str | None:
    """The text the core read for a file it displays as `shown` (edits' offsets index into it)."""
    path = os.path.abspath(shown)
    if path in overlay:
        return overlay[path]
    if checked.report is not None and shown in checked.report.sources:
        return checked.report.sources[shown]
    from batchlint.loading.files import read_text

    try:
        return read_text(path, errors="replace")
    except OSError:
        return None


def inspect_text(run: RunModel) -> str:
    """What `batchlint inspect` prints for one run."""
    import io

    from batchlint.output.inspect import write_inspect

    out = io.StringIO()
    write_inspect(Report(runs=[run]), out)
    return out.getvalue().rstrip("\n")


def memory_of(run: RunModel) -> dict[str, object] | None:
    """The memory estimate of a run (per card, the main card, what fits), or None with no GPU/profile."""
    if run.memory is None:
        return None
    return run.memory.as_json(run.int_fact(FactName.PER_DEVICE_BATCH))


def rule_url(code: str) -> str:
    from batchlint.output.machine import rule_url as url

    return url(code)


def shown_path(path: str) -> str:
    return display_path(path)


def warm_up() -> None:
    """Import the core's modules before the first file opens (the first diagnostics are timed)."""
    import batchlint.engine  # noqa: F401
    import batchlint.fixer  # noqa: F401
    import batchlint.loading.json  # noqa: F401
    import batchlint.loading.yaml  # noqa: F401
    import batchlint.output.inspect  # noqa: F401
    import batchlint.output.machine  # noqa: F401
    import batchlint.rules  # noqa: F401
