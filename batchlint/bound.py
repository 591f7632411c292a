"""Bound configs: the training configs whose run reads a given file — a launch config, an included file,
a DeepSpeed JSON — found as pairing finds them.

A pre-commit hook is handed the files a commit changed. When only the accelerate file changed, the
total that changed is a training config's: `with_bound_configs` adds, after each such file, the training
configs (and the launch scripts) whose runs read it, so they are checked too.
"""

from __future__ import annotations

import os

from batchlint.model import DialectKind, RunModel
from batchlint.options import Options
from batchlint.pair import Pairing
from batchlint.session import SCRIPT_SUFFIXES, Session


def with_bound_configs(paths: list[str], session: Session, options: Options) -> list[str]:
    """The files to check under `paths`, each followed by the files bound to it that are not among them
    already — when asked (--bound-configs, or a baseline: --baseline, `baseline` in settings)."""
    from batchlint.engine import discover

    def setting(path: str) -> object:
        return session.settings_for(os.path.join(path, "_") if os.path.isdir(path) else path).values.get("baseline")

    if not (options.bound_configs or options.baseline or options.baseline is None and any(setting(p) for p in paths)):
        return paths
    files = discover(paths, session, options.force_exclude)
    out: list[str] = []
    seen: set[str] = set()
    walks: dict[str, list[str]] = {}  # project root -> its YAML/JSON files, walked once
    for path in files:
        for found in (path, *bound_to(path, session, options, walks)):
            key = os.path.abspath(found)
            if key not in seen:
                seen.add(key)
                out.append(found)
    return out


def _role(path: str, session: Session) -> DialectKind | None:
    """A training config (checked as it is), a launch / DeepSpeed file, or None (an include, or not a config)."""
    from batchlint.detect import detect
    from batchlint.loading import LoadError

    try:
        doc = session.load(path)
    except LoadError:
        return DialectKind.TRAINING  # reported as it is; nothing is bound to a file that cannot be read
    dialect = detect(doc, session.settings_for(path).dialects)
    return dialect.kind if dialect is not None else None


def _reads(key: str, run: RunModel, pairing: Pairing) -> bool:
    """Whether a training run reads the file (absolute path `key`)."""
    return run.is_training and any(os.path.abspath(doc.path) == key for doc in pairing.documents)


def bound_to(path: str, session: Session, options: Options, walks: dict[str, list[str]] | None = None) -> list[str]:
    """The training configs and launch scripts of the project whose runs read `path` (none for a training
    config or a script: those are checked as the runs they are).

    Candidates, each confirmed by pairing it: the configs the project's launch scripts launch, the
    configs that name the file (an `${include:...}`, `deepspeed: ds.json`) or whose settings pair them
    with an accelerate config, and the scripts that name it (`--config_file`)."""
    from batchlint.engine import CONFIG_SUFFIXES, analyse, analyse_script, discover

    if path.endswith(SCRIPT_SUFFIXES) or not path.endswith(CONFIG_SUFFIXES) or _role(path, session) == DialectKind.TRAINING:
        return []
    key = os.path.abspath(path)
    name = os.path.basename(path).encode("utf-8")
    index = session.script_index(path)
    walks = {} if walks is None else walks
    if index.root not in walks:
        walks[index.root] = discover([index.root], session)
    out: list[str] = []
    for config in walks[index.root]:
        absolute = os.path.abspath(config)
        if absolute == key:
            continue
        named = absolute in index.by_config or name in (session.raw(config) or b"")
        if (named or session.settings_for(config).for_file(config).accelerate_config is not None) and any(
            _reads(key, run, pairing) for run, pairing in analyse(config, session, options).runs
        ):
            out.append(config)
    found = {os.path.abspath(config) for config in out}
    for script in index.scripts:
        if name in session.script_text(script).encode("utf-8", "replace"):
            # A script is added for the runs it launches that no config found above stands for.
            runs = [run for a in analyse_script(script, session, options) for run, pairing in a.runs if _reads(key, run, pairing)]
            if any(os.path.abspath(run.config) not in found for run in runs):
                out.append(script)
    return out
