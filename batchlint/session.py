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
from batchlint.loading.files import read_bytes, read_text
from batchlint.loading.shell import Word
from batchlint.options import Options
from batchlint.paths import display_path, project_root, resolve_from_script, script_bases
from batchlint.settings import Settings, SettingsCache

SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash", ".sbatch")
MAX_SCRIPTS = 500
MAX_SCRIPT_CHARS = 1_000_000
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist"}
)


def is_launch_script(path: str, text: str | None = None) -> bool:
    """A shell script by its name (`.sh`, `.slurm`, `.bash`, `.sbatch`) or, for a file with no config
    extension, by its `#!/bin/bash`-style first line."""
    if path.endswith(SCRIPT_SUFFIXES):
        return True
    if path.endswith((".yaml", ".yml", ".json", ".jsonc", ".toml", ".py", ".cfg", ".ini", ".conf")):
        return False
    if text is None:
        if not os.path.isfile(path):
            return False  # a pipe or a device (/dev/stdin): sniffing would consume what the check must read
        try:
            with open(path, "rb") as fh:
                text = fh.read(128).decode("utf-8", "replace")
        except OSError:
            return False
    first = text.split("\n", 1)[0]
    return first.startswith("#!") and any(shell in first for shell in ("sh", "bash", "zsh"))


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
                for word in launch.training_configs():
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

    def fingerprint(self, session: Session) -> str:
        """The scripts by path and content: a script created, removed or edited changes it."""
        from batchlint.digest import digest

        return digest("\0".join(f"{script}\0{session.script_text(script)}" for script in self.scripts).encode("utf-8", "replace"))


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
        self.settings_by_path: dict[str, Settings] = {}
        self.roots: dict[str, str | None] = {}
        self.indexes: dict[str, ScriptIndex] = {}
        self.parsed_scripts: dict[str, list[Launch]] = {}
        self.script_texts: dict[str, str] = {}  # scripts read strictly (a checked script) or leniently (pairing)
        self.unread: dict[str, str] = {}  # display path -> why the file was not read (a template, JSONC, a Python file)
        self.contexts: dict[tuple[str | None, str], str] = {}  # (settings file, project root) -> cache context digest
        self.revisions: dict[tuple[str, str], object] = {}  # (directory, --baseline revision) -> what batchlint.baseline read there

    # -- files
    def load(self, path: str, data: bytes | None = None, syntax_only: bool = False) -> Document:
        """Each file loaded once per session; a LoadError is remembered and raised again. `data` is
        the file's bytes when the caller has read them already; `syntax_only` loads no tree (the
        prefilter found nothing a dialect reads in it)."""
        key = os.path.abspath(path)
        if syntax_only and key not in self.documents:
            # Not remembered: a file the prefilter skips may still be included by a config, which needs its tree.
            return self._load(key, path, data, True)
        hit = self.documents.get(key)
        if hit is None:
            try:
                hit = self._load(key, path, data, False)
            except LoadError as exc:
                hit = exc
            self.documents[key] = hit
        if isinstance(hit, LoadError):
            raise hit
        return hit

    def release(self, path: str) -> None:
        """Forget a checked file's document once its rules ran, so memory stays flat over thousands of
        files; a file another config needs (an include, a launch config) is simply loaded again."""
        self.documents.pop(os.path.abspath(path), None)

    def _load(self, key: str, path: str, data: bytes | None, syntax_only: bool) -> Document:
        if key in self.overlay:
            return load_text(display_path(path), self.overlay[key], syntax_only)
        if data is not None:
            return load_bytes(display_path(path), data, syntax_only)
        return load_path(path, display_path(path))

    def raw(self, path: str) -> bytes | None:
        """A checked file's bytes (the overlay's text when one stands in), or None when it cannot be
        read here (loading it reports why)."""
        key = os.path.abspath(path)
        if key in self.overlay:
            return self.overlay[key].encode("utf-8")
        try:
            return read_bytes(path)  # bounded; never blocks on a FIFO or a device (loading/files.py)
        except OSError:
            return None

    def script_text(self, path: str) -> str:
        key = os.path.abspath(path)
        text = self.overlay.get(key) or self.script_texts.get(key)
        if text is not None:
            return text
        try:
            text = read_text(path, MAX_SCRIPT_CHARS, errors="replace", truncate=True)  # a FIFO named *.sh never blocks
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
        hit = self.settings_by_path.get(path)  # each stage asks for the same file's settings again
        if hit is None:
            hit = self.settings_by_path[path] = self.settings.for_path(path)
        return hit

    def project_root(self, path: str) -> str:
        return project_root(path, self.roots)

    def script_index(self, path: str) -> ScriptIndex:
        """The index of the launch scripts of the project `path` belongs to, built once."""
        root = self.project_root(path)
        index = self.indexes.get(root)
        if index is None:
            index = self.indexes[root] = ScriptIndex(self, root)
        return index

    def cache_context(self, path: str, options: Options) -> str:
        """A digest of everything besides file contents that a file's result depends on (settings,
        options, batchlint's own code, the project's scripts), computed once per settings file and
        project, not copied into every cache entry."""
        import dataclasses
        import json

        from batchlint import __version__
        from batchlint.digest import code_fingerprint, digest

        settings = self.settings_for(path)
        root = self.project_root(path)
        key = (settings.path, root)
        known = self.contexts.get(key)
        if known is None:
            known = self.contexts[key] = digest(
                json.dumps(
                    {
                        "version": __version__,
                        "code": code_fingerprint(),
                        "cwd": os.getcwd(),
                        "settings": settings.path,
                        "values": settings.values,
                        "runs": [(r.configs, r.values) for r in settings.runs],
                        "dialects": settings.dialects,
                        "select": options.select,
                        "ignore": options.ignore,
                        "launch": dataclasses.asdict(options.launch),
                        "env": {k: os.environ.get(k) for k in ("HF_HOME", "XDG_CACHE_HOME")},
                        "scripts": self.script_index(path).fingerprint(self),
                    },
                    sort_keys=True,
                    default=str,
                ).encode()
            )
        return known

    def find_launch(self, config_path: str) -> Launch | None:
        return self.script_index(config_path).find(config_path)

    def resolve_config(self, word: Word, script_path: str) -> str | None:
        """The file a config word of a launch line names: a path from where the script runs, or, when
        part of it is set at run time (`${ROOT}/conf/gpt.yaml`), the one file matching it as a pattern."""
        return self.resolve_named(word.text, word.unresolved, script_path)

    def resolve_named(self, text: str, unresolved: bool, script_path: str) -> str | None:
        if not unresolved:
            return resolve_from_script(text, script_path)
        import glob

        pattern = _as_glob(text)
        if pattern is None:
            return None
        hits: set[str] = set()
        # A leading variable is usually a root directory (`$(git rev-parse --show-toplevel)/conf/x.yaml`).
        patterns = [pattern, pattern[2:]] if pattern.startswith("*/") else [pattern]
        for base in script_bases(script_path):
            for one in patterns:
                full = os.path.normpath(os.path.join(base, one)) if not os.path.isabs(one) else one
                hits.update(os.path.normpath(h) for h in glob.glob(full) if os.path.isfile(h))
            if len(hits) > 1:
                return None
        return hits.pop() if len(hits) == 1 else None
