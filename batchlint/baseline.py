"""Baseline: a run as it was at a git revision (`--baseline REV`, or `baseline = "REV"` in settings).

`baseline_run` is the stage's one entry point. For a run of the working tree it reads every file that
run reads as it was at REV — with `git cat-file --batch`, the batch form of `git show REV:path`;
nothing is checked out — into the overlay of a second Session, runs `engine.check` on the config there
(the engine hands it in: the engine imports this module, not the other way round), and returns the
old run (`model.BaselineRun`) with every factor of the total whose value differs. A config absent at
REV is a new run. The rules that compare (BL107, BL108) read the result; they never run git.
"""

from __future__ import annotations

import os

from batchlint.model import BaselineRun, Change, FactName, Origin, RunModel
from batchlint.session import Session

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import replace
else:
    from batchlint.record import replace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from batchlint.loading import Document
    from batchlint.options import Options
    from batchlint.pair import Pairing
    from batchlint.report import Report
    from batchlint.settings import Settings

    Check = Callable[..., Report]  # engine.check, handed in by the engine (which imports this module)

F = FactName

# What a total is made of: the per-device batch, the accumulation that applies (the config's, a DeepSpeed
# JSON's, the launcher's) and everything that decides the data-parallel size.
FACTORS = (
    F.PER_DEVICE_BATCH,
    F.GRAD_ACCUM,
    F.GLOBAL_BATCH,
    F.BATCH_SIZE,
    F.NUM_PROCESSES,
    F.NUM_MACHINES,
    F.DISTRIBUTED_TYPE,
    F.HOSTFILE_HOSTS,
    F.DP_REPLICATE_SIZE,
    F.DP_SHARD_SIZE,
    F.TP_SIZE,
    F.CP_SIZE,
    F.SP_SIZE,
    F.PP_SIZE,
    F.MP_SIZE,
    F.MEGATRON_TP,
    F.MEGATRON_PP,
    F.DATA_PARALLEL_SIZE,
)


class BaselineError(Exception):
    """The baseline cannot be computed (an unknown revision, a file outside git): a one-line usage error."""


def _changes(old: RunModel, new: RunModel) -> tuple[Change, ...]:
    """The factors whose value differs; derived ones (the data-parallel size) only when nothing written changed."""
    changed = []
    for name in FACTORS:
        # The accumulation that applies, whichever file decides it.
        before, after = (old.accumulation, new.accumulation) if name == F.GRAD_ACCUM else (old.get(name), new.get(name))
        if (before.value if before else None) != (after.value if after else None):
            changed.append(Change(name, before, after))
    written = tuple(c for c in changed if c.fact.origin != Origin.DERIVED)
    return written or tuple(changed)


def _git(args: list[str], cwd: str, data: bytes | None = None) -> tuple[int, bytes]:
    import subprocess

    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)
    except OSError as exc:
        raise BaselineError(f"--baseline needs git: {exc.strerror or exc}") from None
    return done.returncode, done.stdout


def _real(path: str) -> str:
    """The path with its directory's symlinks resolved (not the file's own: git stores a symlink as one)."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


class Revision:
    """One revision of one work tree: its commit, and the files read from it."""

    def __init__(self, top: str, rev: str, commit: str | None) -> None:
        self.top = top
        self.rev = rev
        self.commit = commit  # None: HEAD of a repository with no commits yet, where every file is new
        self.blobs: dict[str, bytes | None] = {}  # absolute path -> content at the revision, None when absent
        self.session = AtRevision(self)

    @classmethod
    def open(cls, session: Session, path: str, rev: str, given_as: str) -> Revision:
        """The revision of the work tree `path` is in (one per session), or a BaselineError saying why not."""
        from batchlint.paths import display_path

        directory = os.path.dirname(os.path.abspath(path))
        known = session.revisions.get((directory, rev))
        if isinstance(known, Revision):
            return known
        code, out = _git(["rev-parse", "--show-toplevel"], directory) if os.path.isdir(directory) else (1, b"")
        if code != 0:
            raise BaselineError(
                f"{display_path(path)}: not in a git work tree, so {given_as} has nothing to compare with "
                "(run batchlint inside the repository, or drop the baseline)"
            )
        top = out.decode("utf-8", "replace").strip()
        known = session.revisions.get((top, rev))
        if isinstance(known, Revision):
            session.revisions[(directory, rev)] = known
            return known
        if rev.startswith("-") or not rev.strip():
            raise BaselineError(f"{given_as}: {rev!r} is not a git revision")
        code, out = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], top)
        commit: str | None = out.decode().strip()
        if code != 0:
            commit = None
            if not (rev == "HEAD" and _git(["rev-list", "-n", "1", "--all"], top)[1].strip() == b""):
                shallow = _git(["rev-parse", "--is-shallow-repository"], top)[1].strip() == b"true"
                remote, _, branch = rev.partition("/")
                fetch = f"git fetch {remote} {branch}" if branch and not any(c in rev for c in "~^@:") else "git fetch --deepen=100"
                raise BaselineError(
                    f"{given_as}: no such revision in this shallow clone; fetch it first (`{fetch}`; on GitHub Actions, actions/checkout with fetch-depth: 0)"
                    if shallow
                    else f"{given_as}: no such revision in this git repository (give a branch, tag or commit, e.g. HEAD or origin/main)"
                )
        revision = cls(top, rev, commit)
        session.revisions[(top, rev)] = session.revisions[(directory, rev)] = revision
        return revision

    def relative(self, path: str) -> str | None:
        """The path inside the work tree, as git names it; None outside it (read from disk as it is)."""
        rel = os.path.relpath(_real(path), self.top)
        return None if rel == ".." or rel.startswith(".." + os.sep) else rel.replace(os.sep, "/")

    def fetch(self, paths: Iterable[str]) -> None:
        """Read the files not read yet, in one `git cat-file --batch`."""
        wanted: dict[str, str] = {}
        for path in paths:
            key = os.path.abspath(path)
            rel = self.relative(key)
            if key not in self.blobs and rel is not None:
                wanted[key] = rel
        if not wanted:
            return
        if self.commit is None:
            self.blobs.update(dict.fromkeys(wanted))
            return
        _, out = _git(["cat-file", "--batch"], self.top, "".join(f"{self.commit}:{rel}\n" for rel in wanted.values()).encode())
        pos = 0
        for key in wanted:
            end = out.find(b"\n", pos)
            header = out[pos:end].split() if end >= 0 else []
            pos = end + 1
            if len(header) != 3 or not header[2].isdigit():  # "<name> missing"
                self.blobs[key] = None
                continue
            size = int(header[2])
            self.blobs[key] = out[pos : pos + size] if header[1] == b"blob" else None
            pos += size + 1

    def at(self, path: str) -> bytes | None:
        key = os.path.abspath(path)
        self.fetch([key])
        return self.blobs.get(key)


class AtRevision(Session):
    """A Session that reads the files of the work tree as they were at the revision: each is read from git
    into the overlay before it is loaded, and one absent there is absent. Files outside the work tree
    are read from disk."""

    def __init__(self, revision: Revision) -> None:
        super().__init__()
        self.revision = revision

    def present(self, path: str) -> bool:
        key = os.path.abspath(path)
        if key in self.overlay or self.revision.relative(key) is None:
            return True
        data = self.revision.at(key)
        if data is None:
            return False
        self.overlay[key] = data.decode("utf-8", "replace")
        return True

    def _load(self, key: str, path: str, data: bytes | None, syntax_only: bool) -> Document:
        from batchlint.loading import LoadError, LoadErrorKind
        from batchlint.paths import display_path

        if not self.present(key):
            raise LoadError(display_path(path), 1, 1, f"not in {self.revision.rev}", kind=LoadErrorKind.NOT_FOUND)
        return super()._load(key, path, None, syntax_only)

    def raw(self, path: str) -> bytes | None:
        return super().raw(path) if self.present(path) else None

    def script_text(self, path: str) -> str:
        return super().script_text(path) if self.present(path) else ""

    def prime_settings(self, path: str) -> None:
        """Settings discovery for `path` as at the revision: the settings files inside the work tree are
        read from git (one that does not parse there counts as today's); above it, from disk."""
        from batchlint.settings import settings_for

        cache = self.settings.by_directory
        visited: list[str] = []
        found: Settings | None = None
        directory = os.path.dirname(os.path.abspath(path))
        while directory not in cache and self.revision.relative(directory) is not None:
            visited.append(directory)
            found = self._settings_in(directory)
            parent = os.path.dirname(directory)
            if found is not None or parent == directory:
                break
            directory = parent
        if not visited:
            return
        if found is None:  # none in the work tree at the revision: what lies above it, on disk
            found = cache.get(directory) or settings_for(os.path.join(directory, "_"), cache)
        for seen in visited:
            cache[seen] = found

    def _settings_in(self, directory: str) -> Settings | None:
        from batchlint.loading.toml import TomlError, parse_toml
        from batchlint.settings import SettingsError, batchlint_table, parse_table, settings_for

        for name in ("batchlint.toml", "pyproject.toml"):
            path = os.path.join(directory, name)
            data = self.revision.at(path)
            if data is None or b"batchlint" not in data and name == "pyproject.toml":
                continue
            try:
                table = batchlint_table(parse_toml(data.decode("utf-8")), path)  # `tool = "x"` at the revision: a SettingsError
                if table is None:  # a pyproject.toml without [tool.batchlint]
                    continue
                return parse_table(table, path)
            except (TomlError, UnicodeDecodeError, SettingsError):
                return settings_for(os.path.join(directory, "_"))
        return None


def _settings_chain(path: str, revision: Revision) -> list[str]:
    """The settings files that may apply to `path`, inside the work tree."""
    out: list[str] = []
    directory = os.path.dirname(os.path.abspath(path))
    while revision.relative(directory) is not None:
        out.extend(os.path.join(directory, name) for name in ("batchlint.toml", "pyproject.toml"))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return out


def baseline_run(run: RunModel, pairing: Pairing, session: Session, options: Options, check: Check) -> BaselineRun | None:
    """The run as it was at the baseline revision (None when none is asked for), by `check` (engine.check)
    in a Session of that revision. The config is checked there through the launch script that pairs it
    now, when there is one, else on its own."""
    rev = options.baseline if options.baseline is not None else run.setting("baseline")
    if not rev or not run.is_training:
        return None
    given_as = f"--baseline {rev}" if options.baseline else f"baseline = {rev!r} in {run.settings.where if run.settings else 'settings'}"
    config = os.path.abspath(run.config)
    revision = Revision.open(session, config, str(rev), given_as)
    old = revision.session
    targets = [pairing.launch.script_path] if pairing.launch is not None else []
    if pairing.config_doc is not None:
        targets.append(config)
    # Everything the run reads now, in one read; what the old run reads besides is read as it is needed.
    revision.fetch([*(doc.path for doc in pairing.documents), *targets, *session.script_index(config).scripts, *_settings_chain(config, revision)])
    quiet = replace(options, baseline="", bound_configs=False, select=None, ignore=["ALL"])  # its runs, no rules, no baseline
    for target in targets:
        if not old.present(target):
            continue
        old.prime_settings(target)
        old.prime_settings(config)
        found = [r for r in check([target], quiet, session=old).runs if r.is_training and r.config == run.config]
        if found:
            before = next((r for r in found if r.launch_script == run.launch_script), found[0])
            return BaselineRun(str(rev), before, _changes(before, run))
    return BaselineRun(str(rev))
