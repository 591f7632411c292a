"""Find the launch of a training config in the repository's shell scripts (pairing without settings)."""

from __future__ import annotations

import os

from batchlint.dialects.shell import Launch, launches

SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash")
MAX_SCRIPTS = 500
_SKIP = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"}
_parsed: dict[tuple[str, int], list[Launch]] = {}
_listed: dict[str, list[str]] = {}
_overlay: dict[str, str] = {}  # absolute path -> text standing in for the file (fixes being checked)


def set_overlay(overlay: dict[str, str]) -> None:
    _overlay.clear()
    _overlay.update(overlay)


def script_text(path: str) -> str:
    text = _overlay.get(os.path.abspath(path))
    if text is not None:
        return text
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(1_000_000)
    except OSError:
        return ""


def project_root(path: str) -> str:
    """The nearest ancestor holding .git or pyproject.toml; else the working directory when the
    file is below it (batchlint, like pre-commit, runs from the repository root); else the file's
    directory."""
    directory = os.path.dirname(os.path.abspath(path))
    probe = directory
    for _ in range(12):
        if os.path.exists(os.path.join(probe, ".git")) or os.path.isfile(os.path.join(probe, "pyproject.toml")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    cwd = os.getcwd()
    if directory == cwd or directory.startswith(cwd + os.sep):
        return cwd
    return directory


def scripts_under(root: str) -> list[str]:
    if root not in _listed:
        found: list[str] = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith("."))
            found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(SCRIPT_SUFFIXES))
            if len(found) >= MAX_SCRIPTS:
                break
        _listed[root] = found[:MAX_SCRIPTS]
    return _listed[root]


def script_launches(path: str) -> list[Launch]:
    text = script_text(path)
    key = (path, hash(text))
    if key not in _parsed:
        _parsed[key] = launches(path, text)
    return _parsed[key]


def resolve_from_script(name: str, script_path: str) -> str | None:
    """A path written in a script: relative to where the script runs — the working directory,
    the script's directory, or one of its parents (scripts are often run from the repository root)."""
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    candidates = [name]
    directory = os.path.dirname(os.path.abspath(script_path))
    for _ in range(6):
        candidates.append(os.path.join(directory, name))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return next((os.path.normpath(c) for c in candidates if os.path.isfile(c)), None)


def _pattern_matches(text: str, script_path: str, target: str) -> bool:
    """A config path with unknown parts (`./configs/training/$STAGE.yaml`, `configs/$1.yaml`) as a
    glob, matched where the script could run from (its directory and its parents)."""
    import fnmatch
    import re

    pattern = re.sub(r"\$\{[^}]*\}|\$\(\(.*?\)\)|\$\([^)]*\)|\$\w+|\$\d", "*", text)
    if "*" not in pattern or pattern.strip("*/.") == "":
        return False
    directory = os.path.dirname(os.path.abspath(script_path))
    bases = [os.getcwd()]
    for _ in range(6):
        bases.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return any(fnmatch.fnmatch(target, os.path.normpath(os.path.join(base, pattern))) for base in bases)


def find_launch(config_path: str) -> Launch | None:
    """The first launch line in the project's scripts whose training config is this file; a line
    whose config path has variables (`configs/$STAGE.yaml`) matches as a pattern, after exact ones."""
    target = os.path.abspath(config_path)
    by_pattern: Launch | None = None
    for script in scripts_under(project_root(config_path)):
        for launch in script_launches(script):
            word = launch.training_config()
            if word is None:
                continue
            if word.unresolved:
                if by_pattern is None and _pattern_matches(word.text, script, target):
                    by_pattern = launch
                continue
            found = resolve_from_script(word.text, script)
            if found is not None and os.path.abspath(found) == target:
                return launch
    return by_pattern
