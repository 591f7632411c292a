"""Paths: how a path is shown, where a project starts, where a name written in a file is found, and
the fence a file named there must stay inside.

Every stage that follows a name from one file to another (a launch config named by a script, a
DeepSpeed JSON named by an accelerate config, a hostfile, an include) resolves it here, and asks the
checked file's `Fence` (built by `Session.fence_for`) whether it may read what it found.
"""

from __future__ import annotations

import functools
import os

PROJECT_MARKERS = (".git", "pyproject.toml")


def display_path(path: str) -> str:
    """How a path is shown: relative to the working directory when below it, else as given."""
    return _display_path(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _display_path(path: str, cwd: str) -> str:
    # memoised by the working directory too: each stage asks again for the same files
    rest = _below(path, cwd)
    if rest is not None:
        return path if rest.startswith("..") else rest
    rel = os.path.relpath(os.path.join(cwd, path), cwd)
    return path if rel.startswith("..") else rel


def _below(path: str, cwd: str) -> str | None:
    """What `os.path.relpath(os.path.join(cwd, path), cwd)` returns, by string arithmetic, for the common
    shapes: a relative path, or an absolute one under `cwd`, whose parts are all plain names (none empty,
    `.` or `..`, so normalising changes nothing); None for any other shape, which relpath answers."""
    if os.sep != "/" or os.altsep is not None:
        return None
    if path.startswith("/"):
        if cwd == "/" or not path.startswith(cwd) or path[len(cwd) : len(cwd) + 1] != "/":
            return None
        path = path[len(cwd) + 1 :]
    parts = path.split("/")
    return None if "" in parts or "." in parts or ".." in parts else path


def marked_root(directory: str, cache: dict[str, str | None] | None = None) -> str | None:
    """The nearest ancestor (or the directory itself) holding .git or pyproject.toml; None when
    there is none. `cache` (directory -> answer) makes it one stat per directory per invocation."""
    visited: list[str] = []
    probe = directory
    found: str | None = None
    for _ in range(64):
        if cache is not None and probe in cache:
            found = cache[probe]
            break
        visited.append(probe)
        if os.path.exists(os.path.join(probe, ".git")) or os.path.isfile(os.path.join(probe, "pyproject.toml")):
            found = probe
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if cache is not None:
        for d in visited:
            cache[d] = found
    return found


def project_root(path: str, cache: dict[str, str | None] | None = None) -> str:
    """The project a file belongs to: the nearest ancestor with .git or pyproject.toml; else the
    working directory when the file is below it (batchlint, like pre-commit, runs from the
    repository root); else the file's directory."""
    directory = os.path.dirname(os.path.abspath(path))
    found = marked_root(directory, cache)
    if found is not None:
        return found
    cwd = os.getcwd()
    if directory == cwd or directory.startswith(cwd + os.sep):
        return cwd
    return directory


def is_inside(path: str, root: str) -> bool:
    """Whether `path`, with every symlink resolved, lies at or below `root` (also resolved)."""
    real, fence = os.path.realpath(path), os.path.realpath(root)
    return real == fence or real.startswith(fence.rstrip(os.sep) + os.sep)


FENCE_HELP = "add its directory to `allow-outside` in [tool.batchlint] to read it"


class Fence:
    """The directories a file followed from a checked file's contents (an include, a launch config, a
    DeepSpeed JSON, a hostfile, a launch script, a memory profile) must lie in, every symlink resolved:
    the project root, then the directories settings allow (`allow-outside`, `include-root` for includes).
    Files the user names on the command line are never fenced: nothing asks."""

    __slots__ = ("project", "roots", "answers")

    def __init__(self, project: str, allowed: tuple[str, ...] = ()) -> None:
        self.project = project
        self.roots = tuple(dict.fromkeys(os.path.realpath(p) for p in (project, *allowed)))
        # path -> allows(path): a fence lives for one invocation (Session.fences), and every config of
        # a folder asks it about the same include and launch files (each answer costs a realpath)
        self.answers: dict[str, bool] = {}

    def allows(self, path: str) -> bool:
        known = self.answers.get(path)
        if known is None:
            known = self.answers[path] = self._holds(os.path.realpath(path))
        return known

    def _holds(self, real: str) -> bool:
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def allowed(self, paths: list[str], links: set[str] | None = None, real_dirs: dict[str, str] | None = None) -> list[str]:
        """The paths `allows` allows, in order, each answered as `allows` answers it: a file that is not a
        symlink really is in its directory's real place (one realpath per directory, not one per file: the
        launch scripts of a project, fenced before any is read). A caller that listed the directories may
        say which paths are symlinks (`links`; the others are not) and the directories' real paths."""
        real_dirs = {} if real_dirs is None else real_dirs
        kept: list[str] = []
        for path in paths:
            known = self.answers.get(path)
            if known is None:
                directory, name = os.path.split(path)
                if name in ("", ".", "..") or (os.path.islink(path) if links is None else path in links):
                    known = self.allows(path)
                else:
                    real = real_dirs.get(directory)
                    if real is None:
                        real = real_dirs[directory] = os.path.realpath(directory)
                    known = self.answers[path] = self._holds(os.path.join(real, name))
            if known:
                kept.append(path)
        return kept

    def widened(self, *allowed: str | None) -> Fence:
        """The same fence with more directories allowed (None entries are skipped)."""
        extra = tuple(a for a in allowed if a)
        return self if not extra else Fence(self.project, (*self.roots[1:], *extra))

    def union(self, other: Fence) -> Fence:
        """Both fences' directories (a file named by a launch config the user gave, which may lie elsewhere:
        its own project, or the checked file's). Messages name this fence's project."""
        return self if other.roots == self.roots else Fence(self.project, (*self.roots[1:], *other.roots))

    def refusal(self, what: str, name: str, target: str) -> str:
        """The finding's message: what was named, where it really is, and the fence it left."""
        real = os.path.realpath(target)
        shown = display_path(real)
        where = (
            ""
            if shown in (name, display_path(target)) and real == os.path.abspath(target)
            else f" ({shown}{', through a symlink' if real != os.path.abspath(target) else ''})"
        )
        return f"{what} '{name}'{where} is outside the project ({display_path(self.project)}): not read"


def _broad(directory: str) -> bool:
    """The file system root or the home directory: a working directory that is no project."""
    home = os.path.expanduser("~")
    return directory in (os.sep, home, os.path.realpath(home)) or os.path.dirname(directory) == directory


def fence_root(path: str, given: tuple[str, ...] = (), cache: dict[str, str | None] | None = None) -> str:
    """The project a file's followed names must stay in: the nearest ancestor with .git or pyproject.toml;
    with no marker, the working directory when the file is below it (batchlint runs from the repository
    root, as `project_root` says) unless that is the file system root or the home directory; else the
    path named on the command line that holds the file (a named directory, or a named file's directory);
    else the file's own directory."""
    directory = os.path.dirname(os.path.abspath(path))
    found = marked_root(directory, cache)
    if found is not None:
        return found
    cwd = os.getcwd()
    if (directory == cwd or directory.startswith(cwd.rstrip(os.sep) + os.sep)) and not _broad(cwd):
        return cwd
    best: str | None = None
    for named in given:
        base = named if os.path.isdir(named) else os.path.dirname(named)
        if (directory == base or directory.startswith(base.rstrip(os.sep) + os.sep)) and (best is None or len(base) > len(best)):
            best = base
    return best or directory


def _ancestors(directory: str, limit: int) -> list[str]:
    out = []
    for _ in range(limit):
        out.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return out


def find_near(name: str, named_in: str, launch_dir: str | None) -> str | None:
    """A file named in an accelerate config: relative to the launch directory (settings
    `launch-dir`, else where batchlint runs), else to the config's directory or a parent of it."""
    from batchlint.loading.files import is_file  # notes the places looked in, for the cache

    if os.path.isabs(name):
        return name if is_file(name) else None
    candidates = [os.path.join(launch_dir, name)] if launch_dir else []
    candidates.append(name)
    candidates.extend(os.path.join(d, name) for d in _ancestors(os.path.dirname(os.path.abspath(named_in)), 64))
    return next((c for c in candidates if is_file(c)), None)


def resolve_from_script(name: str, script_path: str) -> str | None:
    """A path written in a script: relative to where the script runs — the working directory,
    the script's directory, or one of its parents (scripts are often run from the repository root)."""
    from batchlint.loading.files import is_file  # notes the places looked in, for the cache

    if os.path.isabs(name):
        return name if os.path.exists(name) or is_file(name) else None  # (is_file: an absent path is noted)

    candidates = [name, *(os.path.join(d, name) for d in _ancestors(os.path.dirname(os.path.abspath(script_path)), 6))]
    return next((os.path.normpath(c) for c in candidates if is_file(c)), None)


def script_bases(script_path: str) -> list[str]:
    """Where a script may run from: the working directory, its directory and their parents."""
    return [os.getcwd(), *_ancestors(os.path.dirname(os.path.abspath(script_path)), 6)]


def default_accelerate_config() -> str:
    """accelerate's default config path (accelerate `commands/config/config_args.py`):
    $HF_HOME/accelerate/default_config.yaml, HF_HOME defaulting to ${XDG_CACHE_HOME:-~/.cache}/huggingface."""
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return os.path.join(hf_home, "accelerate", "default_config.yaml")
