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
from batchlint.loading import Document, LoadError, LoadErrorKind, load_bytes, load_path, load_text
from batchlint.loading.files import read_bytes, read_text
from batchlint.loading.shell import Word
from batchlint.options import Options
from batchlint.paths import FENCE_HELP, Fence, display_path, fence_root, project_root, resolve_from_script, script_bases
from batchlint.settings import Settings, SettingsCache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from batchlint.model import Fact, FactName

    DocumentLoader = Callable[[str], Document]

SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash", ".sbatch")
LINKING_SUFFIXES = (".json", ".toml", ".yaml", ".yml")  # configs that may name another config a run reads
MAX_SCRIPTS = 500
MAX_SCRIPT_CHARS = 1_000_000
EAGER_FILES = 8
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


# Launch-line flags that name a file the run reads besides its training config, by the file's role:
# (where the flag sits: "launcher" before the training script, "any" on either side, flags).
NAMING_FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accelerate": ("launcher", ("--config_file",)),  # `accelerate launch --config_file acc.yaml` (after the script it is the trainer's own)
    "deepspeed": ("any", ("--deepspeed", "--deepspeed_config", "--deepspeed-config", "--deepspeed_config_file")),
    "hostfile": ("launcher", ("--hostfile", "-H", "--deepspeed_hostfile")),
}


# A word of a launch line in a role of NAMING_FLAGS: (its place in the scan's order, script, launch, role, word).
_Naming = tuple[int, str, Launch, str, Word]


class ScriptIndex:
    """The launch lines of one project's scripts: which config each one launches.

    The scripts are listed once. `find` for a few configs parses only the scripts whose text could
    name the config (`could_name`): checking one file does not parse every script of the project.
    From the `LAZY_FINDS`-th lookup on, or when `by_config` / `patterns` are read, every script is
    parsed once into the whole index; both ways give the same answer (tests/test_script_index.py)."""

    LAZY_FINDS = 4

    def __init__(self, session: Session, root: str) -> None:
        self.root = root
        self.session = session
        self.naming: dict[tuple[str, str | None], Launch | None] = {}  # (absolute path, role) -> the launch naming it
        self.configs: list[str] | None = None  # the project's config files, walked when a linked file first asks
        self.config_bytes: list[tuple[str, bytes]] = []  # ... and their bytes, read once
        self.bases: dict[str, set[str]] = {}  # script -> the directories it may run from
        scripts, links, real_dirs = _listed_scripts(root)
        fence = session.fence_for(os.path.join(root, "_"))
        self.scripts: list[str] = fence.allowed(scripts, links, real_dirs)  # a *.sh symlink to outside the project is not read
        if session.abspath(root) == root:
            session.absolute.update({script: script for script in self.scripts})  # (joined from the absolute root and names listed in it)
        self.finds = 0
        self.naming_finds = 0  # find_naming lookups: from the LAZY_FINDS-th on, through _naming_index
        self._naming_words: tuple[dict[str, list[_Naming]], list[_Naming]] | None = None
        # script -> what its launches name, in order: (absolute config path, launch), and (glob over a base, script, launch)
        self._entries: dict[str, tuple[list[tuple[str, Launch]], list[tuple[str, str, Launch]]]] = {}
        self._whole: tuple[dict[str, Launch], list[tuple[str, str, Launch]]] | None = None

    def _of(self, script: str) -> tuple[list[tuple[str, Launch]], list[tuple[str, str, Launch]]]:
        """What one script's launch lines (its own and those of the scripts it runs) name: the configs
        in order, and (glob over a base, script, launch) for config paths with variables."""
        hit = self._entries.get(script)
        if hit is None:
            named: list[tuple[str, Launch]] = []
            patterns: list[tuple[str, str, Launch]] = []
            for launch in self.session.script_launches(script):
                for word in launch.training_configs():
                    if word.unresolved:
                        pattern = _as_glob(word.text)
                        if pattern is not None:
                            patterns.append((pattern, script, launch))
                        continue
                    found = resolve_from_script(word.text, launch.script_path)
                    if found is not None:
                        named.append((os.path.abspath(found), launch))
            hit = self._entries[script] = (named, patterns)
        return hit

    def _merged(self, scripts: list[str]) -> tuple[dict[str, Launch], list[tuple[str, str, Launch]]]:
        """The index over `scripts`, in order: a config's first launch, unless a later one runs the same
        script as its caller runs it (its $1, $2 known), which wins."""
        by_config: dict[str, Launch] = {}
        patterns: list[tuple[str, str, Launch]] = []
        for script in scripts:
            named, own_patterns = self._of(script)
            for config, launch in named:
                known = by_config.get(config)
                if known is None or (launch.called_from and not known.called_from and _same(known.script_path, launch.script_path)):
                    by_config[config] = launch  # a script as its caller runs it beats it read alone
            patterns.extend(own_patterns)
        return by_config, patterns

    def _built(self) -> tuple[dict[str, Launch], list[tuple[str, str, Launch]]]:
        if self._whole is None:
            self._whole = self._merged(self.scripts)
        return self._whole

    @property
    def by_config(self) -> dict[str, Launch]:
        """Absolute config path -> the launch naming it (see `_merged`), over every script."""
        return self._built()[0]

    @property
    def patterns(self) -> list[tuple[str, str, Launch]]:
        """(glob over a base, script, launch) for config paths with variables, over every script."""
        return self._built()[1]

    def find(self, config_path: str) -> Launch | None:
        """The first launch line whose training config is this file; a line whose config path has
        variables (`configs/$STAGE.yaml`) matches as a pattern, after exact ones."""
        target = self.session.abspath(config_path)
        self.finds += 1
        if self._whole is not None or self.finds >= self.LAZY_FINDS:
            return _first(target, *self._built())
        # Scripts that cannot name it add nothing about it: the index over the others answers the same.
        text, stem = self.session.script_text, _stem(target)
        return _first(target, *self._merged([s for s in self.scripts if _could_name(text(s), stem)]))

    def find_naming(self, path: str, role: str | None = None) -> Launch | None:
        """The launch line that names this file in a role of NAMING_FLAGS (its accelerate config, DeepSpeed
        JSON or hostfile; any role when None): the run the file is part of, seen from its side. None when
        scripts of more than one name it (which run it belongs to is then the user's choice). Only scripts
        whose text mentions the file's name are read."""
        target = self.session.abspath(path)
        key = (target, role)
        if key in self.naming:
            return self.naming[key]
        name = os.path.basename(target)
        self.naming_finds += 1
        found: list[Launch] = []
        if self._naming_words is not None or self.naming_finds >= self.LAZY_FINDS:
            found = self._named_by_index(target, name, role)
        else:
            for script in self.scripts:
                if name in self.session.script_text(script):
                    found.extend(launch for launch in self.session.script_launches(script) if self._names(launch, target, role))
        found.sort(key=lambda launch: launch.called_from is None)  # as a caller runs it (its $1, $2 known) first
        one = found[0] if found and all(_same(launch.script_path, found[0].script_path) for launch in found) else None
        self.naming[key] = one
        return one

    def _naming_index(self) -> tuple[dict[str, list[_Naming]], list[_Naming]]:
        """Every word of every script's launch lines in a role of NAMING_FLAGS, once: by each file it can
        name as `_may_name` reads it (string arithmetic over the script's bases), and those it cannot
        place (set at run time, or climbing with `..`), which each lookup tries."""
        if self._naming_words is None:
            exact: dict[str, list[_Naming]] = {}
            loose: list[_Naming] = []
            order = 0
            for script in self.scripts:
                for launch in self.session.script_launches(script):
                    for role, (side, flags) in NAMING_FLAGS.items():
                        for flag in flags:
                            word = launch.launcher_args.get(flag) or (launch.script_args.get(flag) if side == "any" else None)
                            if word is None:
                                continue
                            order += 1
                            entry = (order, script, launch, role, word)
                            rel = os.path.normpath(word.text)
                            if word.unresolved or not os.path.isabs(word.text) and rel.startswith(".."):
                                loose.append(entry)
                            elif os.path.isabs(word.text):
                                exact.setdefault(rel, []).append(entry)
                            else:
                                for base in self._bases(launch.script_path):
                                    exact.setdefault(base + os.sep + rel, []).append(entry)
            self._naming_words = (exact, loose)
        return self._naming_words

    def _named_by_index(self, target: str, name: str, role: str | None) -> list[Launch]:
        """The launches naming `target`, as the scan of `find_naming` finds them (the same words tried, in
        the same order), from the words `_naming_index` places at it and those it cannot place."""
        exact, loose = self._naming_index()
        found: list[Launch] = []
        matched: set[int] = set()
        for _, script, launch, each, word in sorted([*exact.get(target, ()), *loose], key=lambda entry: entry[0]):
            if id(launch) in matched or role is not None and each != role or name not in word.text:
                continue
            if name not in self.session.script_text(script):
                continue  # (a launch of a script this one runs: read only when this one names the file too)
            if not word.unresolved and not self._may_name(word.text, target, launch.script_path):
                continue
            named = self.session.resolve_named(word.text, word.unresolved, launch.script_path)
            if named is not None and os.path.abspath(named) == target:
                matched.add(id(launch))
                found.append(launch)
        return found

    def _bases(self, script: str) -> set[str]:
        bases = self.bases.get(script)
        if bases is None:
            bases = self.bases[script] = {os.path.normpath(b) for b in script_bases(script)}
        return bases

    def find_linking(self, path: str, fragment: bool = False) -> list[str]:
        """The project's config files whose text names this file (a GUI config's `dataset_config: data.toml`,
        an `${include:...}`; with `fragment`, also a Hydra defaults list naming it without its extension):
        candidates for the run it is part of, which the caller confirms. The walk and the reads are made
        once, on first use."""
        if not self.config_bytes:
            self.config_bytes = [(c, self.session.raw(c) or b"") for c in self._configs()]
        target = os.path.abspath(path)
        name = os.path.basename(target).encode("utf-8")
        stem = os.path.splitext(os.path.basename(target))[0].encode("utf-8")
        return [c for c, data in self.config_bytes if os.path.abspath(c) != target and (name in data or fragment and b"defaults:" in data and stem in data)]

    def find_named(self, name: str) -> list[str]:
        """The project's config files of this file name (where a path written wrong may point)."""
        return [c for c in self._configs() if os.path.basename(c) == name]

    def _configs(self) -> list[str]:
        if self.configs is None:
            self.configs = []
            for directory, dirs, files in os.walk(self.root):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                self.configs.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(LINKING_SUFFIXES))
                if len(self.configs) >= MAX_SCRIPTS:
                    break
        return self.configs

    def _may_name(self, written: str, target: str, script: str) -> bool:
        """Whether a path written in a script can be `target` from some place the script may run from
        (string arithmetic only: the file system is asked for the few that can)."""
        if os.path.isabs(written):
            return os.path.normpath(written) == target
        rel = os.path.normpath(written)
        if rel.startswith(".."):
            return True  # it climbs out of where the script runs (`../configs/acc.yaml`): the file system decides
        return target.endswith(os.sep + rel) and target[: -len(rel) - 1] in self._bases(script)

    def _names(self, launch: Launch, target: str, role: str | None) -> bool:
        for each, (side, flags) in NAMING_FLAGS.items():
            if role is not None and each != role:
                continue
            for flag in flags:
                word = launch.launcher_args.get(flag) or (launch.script_args.get(flag) if side == "any" else None)
                if word is None or os.path.basename(target) not in word.text:
                    continue
                if not word.unresolved and not self._may_name(word.text, target, launch.script_path):
                    continue
                named = self.session.resolve_named(word.text, word.unresolved, launch.script_path)
                if named is not None and os.path.abspath(named) == target:
                    return True
        return False

    def fingerprint(self, session: Session) -> str:
        """The scripts by path and content: a script created, removed or edited changes it."""
        from batchlint.digest import digest

        return digest("\0".join(f"{script}\0{session.script_text(script)}" for script in self.scripts).encode("utf-8", "replace"))


def _listed_scripts(root: str) -> tuple[list[str], set[str], dict[str, str]]:
    """The scripts under `root` in the order of `os.walk` (top-down; files and the directories walked into
    sorted by name; SKIP_DIRS and hidden directories left out; symlinked directories not walked), at most
    MAX_SCRIPTS; which of them are symlinks; and each directory walked, by its real path. One `scandir` per
    directory, its entries sorted out by the kind the listing gives them (only a symlink costs a stat)."""
    from operator import attrgetter, methodcaller

    name_of, is_script = attrgetter("name"), methodcaller("endswith", SCRIPT_SUFFIXES)
    scripts: list[str] = []
    links: set[str] = set()
    real_dirs: dict[str, str] = {}
    stack = [(root, os.path.realpath(root))]
    while stack:
        directory, real = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue  # (os.walk skips a directory it cannot list)
        real_dirs[directory] = real
        try:
            dirs = set(map(name_of, filter(os.DirEntry.is_dir, entries)))
            linked = set(map(name_of, filter(os.DirEntry.is_symlink, entries)))
        except OSError:  # (a symlink whose target cannot be looked at: told one entry at a time, as os.walk does)
            dirs = {e.name for e in entries if _entry_is(e, os.DirEntry.is_dir)}
            linked = {e.name for e in entries if _entry_is(e, os.DirEntry.is_symlink)}
        prefix = directory if directory.endswith(os.sep) else directory + os.sep  # (os.path.join of a name)
        for name in sorted(filter(is_script, map(name_of, entries))):
            if name not in dirs:
                path = prefix + name
                scripts.append(path)
                if name in linked:
                    links.add(path)
        if len(scripts) >= MAX_SCRIPTS:
            break
        walked = sorted((d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and d not in linked), reverse=True)
        stack.extend((prefix + d, os.path.join(real, d)) for d in walked)
    del scripts[MAX_SCRIPTS:]
    return scripts, links, real_dirs


def _entry_is(entry: os.DirEntry[str], test: Callable[[os.DirEntry[str]], bool]) -> bool:
    """`test(entry)`, False when it cannot be told (os.walk's reading of an entry it cannot stat)."""
    try:
        return test(entry)
    except OSError:
        return False


def _same(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _substitutions_as_stars(text: str) -> str:
    """Each `$( ... )`, nested ones included (`$(cd "$(dirname "$0")"; pwd)`), as one `*`."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i) and not text.startswith("$((", i):
            depth, j = 0, i + 1
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append("*")
            i = j + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _first(target: str, by_config: dict[str, Launch], patterns: list[tuple[str, str, Launch]]) -> Launch | None:
    exact = by_config.get(target)
    if exact is not None:
        return exact
    import fnmatch

    for pattern, script, launch in patterns:
        if any(fnmatch.fnmatch(target, os.path.normpath(os.path.join(base, pattern))) for base in script_bases(script)):
            return launch
    return None


def could_name(text: str, config_path: str) -> bool:
    """Whether a script's text can launch the config at `config_path` (absolute). The shell reader
    (loading/shell.py) builds a word from the script's own characters: quotes and backslashes
    removed, and `$` expansions, which are the only way to build a name the text does not spell.
    So a script with no `$` can name the config only if its text, without quotes and backslashes,
    holds the config's name without its extension (a Hydra `--config-name train` adds the `.yaml`).
    A script with a `$` anywhere, or naming another script (`bash launch.sh 16`: the launches of that
    one, read with its arguments, are this script's too), is always read."""
    return _could_name(text, _stem(config_path))


def _stem(config_path: str) -> str | None:
    """The name `could_name` looks for in a script's text; None when any text may name it (no name, or
    one holding a quote or a backslash)."""
    stem = os.path.splitext(os.path.basename(config_path))[0]
    return None if not stem or "\\" in stem or "'" in stem or '"' in stem else stem


def _could_name(text: str, stem: str | None) -> bool:
    if stem is None or "$" in text or any(map(text.__contains__, SCRIPT_SUFFIXES)) or stem in text:
        return True  # a variable, or another script it may run (with arguments): its launches are that script's
    if "\\" not in text and "'" not in text and '"' not in text:
        return False  # (nothing to remove: the text without them is the text)
    return stem in text.replace("\\\n", "").replace("\\", "").replace("'", "").replace('"', "")


def _as_glob(text: str) -> str | None:
    """A config path with unknown parts (`./configs/training/$STAGE.yaml`, `configs/$1.yaml`) as a glob."""
    import re

    pattern = re.sub(r"\$\{[^}]*\}|\$\(\(.*?\)\)|\$\([^)]*\)|\$\w+|\$\d", "*", _substitutions_as_stars(text))
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
        self.projects: dict[str, str] = {}  # a file's directory -> its project root (Session.project_root)
        self.indexes: dict[str, ScriptIndex] = {}
        self.parsed_scripts: dict[str, list[Launch]] = {}
        self.script_texts: dict[str, str] = {}  # scripts read strictly (a checked script) or leniently (pairing)
        self.unread: dict[str, str] = {}  # display path -> why the file was not read (a template, JSONC, a Python file)
        self.contexts: dict[tuple[str | None, str], str] = {}  # (settings file, project root) -> cache context digest
        self.checked_files = 0  # files the prefilter tested so far (prefilter_pays)
        self.revisions: dict[tuple[str, str], object] = {}  # (directory, --baseline revision) -> what batchlint.baseline read there
        self.given: tuple[str, ...] = ()  # absolute paths named on the command line (the fence of a project without a marker)
        self.fences: dict[str, Fence] = {}  # directory -> the fence of the files in it
        self.absolute: dict[str, str] = {}  # path -> os.path.abspath(path) (Session.abspath)
        # absolute path -> an accelerate config read for pairing: (document, facts, error), see pair._load_launch
        self.launch_configs: dict[str, tuple[Document | None, dict[FactName, Fact[object]], LoadError | None]] = {}

    def abspath(self, path: str) -> str:
        """`os.path.abspath(path)`, memoised: every stage asks again for the same files (the working
        directory does not change during an invocation)."""
        hit = self.absolute.get(path)
        if hit is None:
            hit = self.absolute[path] = os.path.abspath(path)
        return hit

    # -- files
    def prefilter_pays(self) -> bool:
        """Whether the prefilter (prefilter.py) tests the next checked file with its compiled pattern:
        not the first `EAGER_FILES` of the session, for which compiling it costs more than looking
        for each word (the answer is the same either way)."""
        self.checked_files += 1
        return self.checked_files > EAGER_FILES

    def load(self, path: str, data: bytes | None = None, syntax_only: bool = False) -> Document:
        """Each file loaded once per session; a LoadError is remembered and raised again. `data` is
        the file's bytes when the caller has read them already; `syntax_only` loads no tree (the
        prefilter found nothing a dialect reads in it)."""
        key = self.abspath(path)
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
        self.documents.pop(self.abspath(path), None)

    def _load(self, key: str, path: str, data: bytes | None, syntax_only: bool) -> Document:
        if key in self.overlay:
            return load_text(display_path(path), self.overlay[key], syntax_only)
        if data is not None:
            return load_bytes(display_path(path), data, syntax_only)
        return load_path(path, display_path(path))

    def raw(self, path: str) -> bytes | None:
        """A checked file's bytes (the overlay's text when one stands in), or None when it cannot be
        read here (loading it reports why)."""
        key = self.abspath(path)
        if key in self.overlay:
            return self.overlay[key].encode("utf-8")
        try:
            return read_bytes(path)  # bounded; never blocks on a FIFO or a device (loading/files.py)
        except OSError:
            return None

    def script_text(self, path: str) -> str:
        key = self.abspath(path)
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
        key = self.abspath(path)
        hit = self.parsed_scripts.get(key)
        if hit is None:
            hit = self.parsed_scripts[key] = launches(path, self.script_text(path))
            fence = self.fence_for(path) if hit else None
            for launch in hit:
                launch.fence = fence  # the files its line names stay inside the project
        return hit

    # -- where things are
    def settings_for(self, path: str) -> Settings:
        hit = self.settings_by_path.get(path)  # each stage asks for the same file's settings again
        if hit is None:
            hit = self.settings_by_path[path] = self.settings.for_path(path)
        return hit

    def project_root(self, path: str) -> str:
        """`paths.project_root`, memoised by the file's directory, all it reads of the path (the working
        directory does not change during an invocation, and `roots` already keeps each marker's answer)."""
        directory = os.path.dirname(self.abspath(path))
        hit = self.projects.get(directory)
        if hit is None:
            hit = self.projects[directory] = project_root(path, self.roots)
        return hit

    # -- the project fence
    def fence_for(self, path: str) -> Fence:
        """What files named in `path` (a checked file, or a file it led to) may be read from: the one rule
        every follower asks (paths.Fence). The project root, or with no .git / pyproject.toml the path
        named on the command line that holds it; and the settings' `allow-outside` directories."""
        directory = os.path.dirname(self.abspath(path))
        fence = self.fences.get(directory)
        if fence is None:
            allowed = self.settings_for(path).values.get("allow-outside") or []
            fence = Fence(fence_root(path, self.given, self.roots), tuple(allowed))
            real = os.path.realpath(directory)
            if real != directory:  # reached through a symlinked directory (a path the user named): its real place counts too
                fence = fence.union(Fence(fence_root(os.path.join(real, os.path.basename(path)), self.given, self.roots)))
            self.fences[directory] = fence
        return fence

    def fence_of_run(self, config: str, named_in: str) -> Fence:
        """The fence of a file named in `named_in` (a launch config, a script) while checking `config`:
        the config's project, and the project of the file naming it (which the user may have named
        on the command line, elsewhere)."""
        return self.fence_for(config).union(self.fence_for(named_in))

    def follower(self, named_in: str, what: str) -> DocumentLoader:
        """`load` for the files named in `named_in`: a file outside its fence is not read; the loader raises
        a LoadError of kind OUTSIDE (its message says so) instead."""
        fence = self.fence_for(named_in)

        def load(target: str) -> Document:
            if not fence.allows(target):
                raise LoadError(display_path(target), 1, 1, fence.refusal(what, display_path(target), target), FENCE_HELP, LoadErrorKind.OUTSIDE)
            return self.load(target)

        return load

    def script_index(self, path: str) -> ScriptIndex:
        """The index of the launch scripts of the project `path` belongs to, built once."""
        root = self.project_root(path)
        index = self.indexes.get(root)
        if index is None:
            index = self.indexes[root] = ScriptIndex(self, root)
        return index

    def cache_context(self, path: str, options: Options) -> str:
        """A digest of everything besides file contents that a file's result depends on (settings,
        options, batchlint's own code, the project root and its scripts), computed once per settings file and
        project, not copied into every cache entry."""
        import json

        from batchlint import __version__
        from batchlint.digest import code_fingerprint, digest

        if TYPE_CHECKING:
            from dataclasses import asdict
        else:
            from batchlint.record import asdict

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
                        "root": root,  # the project fence: a `.git` or pyproject.toml created above moves it
                        "settings": settings.path,
                        "values": settings.values,
                        "runs": [(r.configs, r.values) for r in settings.runs],
                        "dialects": settings.dialects,
                        "select": options.select,
                        "ignore": options.ignore,
                        "launch": asdict(options.launch),
                        "env": {k: os.environ.get(k) for k in ("HF_HOME", "XDG_CACHE_HOME")},
                        "scripts": self.script_index(path).fingerprint(self),
                        "fence": self.fence_for(path).roots,  # what files named in it may be read (in a tree without a marker: the paths named)
                    },
                    sort_keys=True,
                    default=str,
                ).encode()
            )
        return known

    def find_launch(self, config_path: str) -> Launch | None:
        found = self.script_index(config_path).find(config_path)
        # The index walks the project root (the working directory in a tree without a marker): the
        # script must also be inside the config's own fence.
        return found if found is None or self.fence_for(config_path).allows(found.script_path) else None

    def resolve_config(self, word: Word, script_path: str) -> str | None:
        """The file a config word of a launch line names: a path from where the script runs, or, when
        part of it is set at run time (`${ROOT}/conf/gpt.yaml`), the one file matching it as a pattern."""
        return self.resolve_named(word.text, word.unresolved, script_path)

    def resolve_named(self, text: str, unresolved: bool, script_path: str) -> str | None:
        if not unresolved:
            return resolve_from_script(text, script_path)
        from batchlint.loading.files import glob_files  # notes what the search found, for the cache

        pattern = _as_glob(text)
        if pattern is None:
            return None
        hits: set[str] = set()
        # A leading variable is usually a root directory (`$(git rev-parse --show-toplevel)/conf/x.yaml`).
        patterns = [pattern, pattern[2:]] if pattern.startswith("*/") else [pattern]
        for base in script_bases(script_path):
            for one in patterns:
                full = os.path.normpath(os.path.join(base, one)) if not os.path.isabs(one) else one
                hits.update(glob_files(full))
            if len(hits) > 1:
                return None
        return hits.pop() if len(hits) == 1 else None
