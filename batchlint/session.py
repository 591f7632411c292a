"""A Session carries what one invocation caches: loaded documents, settings, project roots and the
index of the project's launch scripts. Nothing is cached at module level, so `engine.check` can run
twice in one process (an editor server does) and answer as two processes would.

`overlay` maps absolute paths to text that stands in for the file on disk: fixes are applied and
re-checked in memory before anything is written, and an editor's unsaved buffer is checked as typed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from batchlint.launch import Launch, launches
from batchlint.loading import Document, LoadError, load_bytes, load_path, load_text
from batchlint.paths import display_path, project_root, resolve_from_script, script_bases
from batchlint.settings import Settings, SettingsCache

SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash")
MAX_SCRIPTS = 500
MAX_SCRIPT_CHARS = 1_000_000
SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
                       ".ruff_cache", ".pytest_cache", "build", "dist"})


class ScriptIndex:
    """The launch lines of one project's scripts, read once: which config each one launches."""

    def __init__(self, session: Session, root: str) -> None:
        self.root = root
        self.scripts: list[str] = []
        for directory, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            self.scripts.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(SCRIPT_SUFFIXES))
            if len(self.scripts) >= MAX_SCRIPTS:
                break
        del self.scripts[MAX_SCRIPTS:]
        self.by_config: dict[str, Launch] = {}  # absolute config path -> the first launch naming it
        self.patterns: list[tuple[str, str, Launch]] = []  # (glob over a base, script, launch) for paths with variables
        for script in self.scripts:
            for launch in session.script_launches(script):
                word = launch.training_config()
                if word is None:
                    continue
                if word.unresolved:
                    pattern = _as_glob(word.text)
                    if pattern is not None:
                        self.patterns.append((pattern, script, launch))
                    continue
                found = resolve_from_script(word.text, script)
                if found is not None:
                    self.by_config.setdefault(os.path.abspath(found), launch)

    def find(self, config_path: str) -> Launch | None:
        """The first launch line whose training config is this file; a line whose config path has
        variables (`configs/$STAGE.yaml`) matches as a pattern, after exact ones."""
        import fnmatch

        target = os.path.abspath(config_path)
        exact = self.by_config.get(target)
        if exact is not None:
            return exact
        for pattern, script, launch in self.patterns:
            if any(fnmatch.fnmatch(target, os.path.normpath(os.path.join(base, pattern))) for base in script_bases(script)):
                return launch
        return None

    def stats(self) -> list[tuple[str, int, int]]:
        out = []
        for script in self.scripts:
            try:
                st = os.stat(script)
            except OSError:
                continue
            out.append((script, st.st_size, st.st_mtime_ns))
        return out


def _as_glob(text: str) -> str | None:
    """A config path with unknown parts (`./configs/training/$STAGE.yaml`, `configs/$1.yaml`) as a glob."""
    import re

    pattern = re.sub(r"\$\{[^}]*\}|\$\(\(.*?\)\)|\$\([^)]*\)|\$\w+|\$\d", "*", text)
    if "*" not in pattern or pattern.strip("*/.") == "":
        return None
    return pattern


class Session:
    """What one invocation reads, read once."""

    def __init__(self, overlay: Mapping[str, str] | None = None) -> None:
        self.overlay: dict[str, str] = dict(overlay or {})
        self.documents: dict[str, Document | LoadError] = {}
        self.settings = SettingsCache()
        self.roots: dict[str, str | None] = {}
        self.indexes: dict[str, ScriptIndex] = {}
        self.parsed_scripts: dict[str, list[Launch]] = {}
        self.script_texts: dict[str, str] = {}  # scripts read strictly (a checked script) or leniently (pairing)

    # -- files
    def load(self, path: str, data: bytes | None = None, syntax_only: bool = False) -> Document:
        """Each file loaded once per session; a LoadError is remembered and raised again. `data` is
        the file's bytes when the caller has read them already; `syntax_only` loads no tree (the
        prefilter found nothing a dialect reads, so nothing else will ask for this file's values)."""
        key = os.path.abspath(path)
        hit = self.documents.get(key)
        if hit is None:
            try:
                if key in self.overlay:
                    hit = load_text(display_path(path), self.overlay[key], syntax_only)
                elif data is not None:
                    hit = load_bytes(display_path(path), data, syntax_only)
                else:
                    hit = load_path(path, display_path(path))
            except LoadError as exc:
                hit = exc
            self.documents[key] = hit
        if isinstance(hit, LoadError):
            raise hit
        return hit

    def raw(self, path: str) -> bytes | None:
        """A checked file's bytes (the overlay's text when one stands in), or None when it cannot be
        read here (loading it reports why)."""
        key = os.path.abspath(path)
        if key in self.overlay:
            return self.overlay[key].encode("utf-8")
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def script_text(self, path: str) -> str:
        key = os.path.abspath(path)
        text = self.overlay.get(key) or self.script_texts.get(key)
        if text is not None:
            return text
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(MAX_SCRIPT_CHARS)
        except OSError:
            text = ""
        self.script_texts[key] = text
        return text

    def script_launches(self, path: str) -> list[Launch]:
        key = os.path.abspath(path)
        hit = self.parsed_scripts.get(key)
        if hit is None:
            hit = self.parsed_scripts[key] = launches(path, self.script_text(path))
        return hit

    # -- where things are
    def settings_for(self, path: str) -> Settings:
        return self.settings.for_path(path)

    def project_root(self, path: str) -> str:
        return project_root(path, self.roots)

    def script_index(self, path: str) -> ScriptIndex:
        """The index of the launch scripts of the project `path` belongs to, built once."""
        root = self.project_root(path)
        index = self.indexes.get(root)
        if index is None:
            index = self.indexes[root] = ScriptIndex(self, root)
        return index

    def find_launch(self, config_path: str) -> Launch | None:
        return self.script_index(config_path).find(config_path)
