"""Pair: a config with its launch — the accelerate config, the script whose launch line runs it, the
DeepSpeed JSON either of them names, and a DeepSpeed hostfile.

Sources, each beating the next as on a real launch: batchlint's command line and settings, a
repository script that launches the config (its `--config_file`, process flags and dot-list
overrides), the machine's default accelerate config only when asked.
"""

from __future__ import annotations

import os

from batchlint.counts import positive_int
from batchlint.dialects.base import Dialect, FactDict
from batchlint.dialects.registry import ACCELERATE
from batchlint.extract import extract_facts
from batchlint.launch import Launch, launch_facts, override_facts, training_script_facts
from batchlint.loading import Document, LoadError, LoadErrorKind
from batchlint.loading.nodes import Mapping, Span
from batchlint.loading.shell import Word
from batchlint.model import DialectKind, Fact, FactName, Origin, RunModel
from batchlint.options import LaunchOptions
from batchlint.paths import default_accelerate_config, display_path, find_near, resolve_from_script
from batchlint.resolve import ConfigTree
from batchlint.session import Session
from batchlint.settings import FileSettings
from batchlint.views import DocumentView, view_of

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from batchlint.record import dataclass, field


@dataclass(frozen=True)
class Outside:
    """A file the run names that lies outside the project fence (paths.Fence): not read, reported (BL009)."""

    message: str  # what was named, and where it really is
    span: Span  # where it is named


@dataclass(frozen=True)
class DeepSpeedLink:
    """The DeepSpeed JSON of a run: named by an accelerate config (`deepspeed_config.deepspeed_config_file`)
    or by an HF Trainer-style config (`deepspeed: ds.json`)."""

    name: str  # as written
    named_by: Fact[object]
    mode: str  # who fills its "auto" values: accelerate or hf-trainer
    path: str | None = None  # found on disk
    doc: Document | None = None
    error: LoadError | None = None  # found but unreadable
    facts: FactDict = field(default_factory=dict)
    outside: str | None = None  # found outside the project fence, so not read: why (BL009; X002 stays quiet)


@dataclass(frozen=True)
class Pairing:
    """What a run is launched with. Every document is kept so rules and reporters can point into it."""

    launch_path: str | None = None  # the accelerate config as given (file system path)
    launch_doc: Document | None = None
    launch_facts: FactDict = field(default_factory=dict)  # the accelerate config's own values
    launch_problems: tuple[LoadError, ...] = ()
    launch: Launch | None = None  # the script launch line that runs this config
    script: str | None = None  # display path of that script
    script_facts: FactDict = field(default_factory=dict)  # what the launch line sets (it beats the file)
    deepspeed: DeepSpeedLink | None = None
    hostfile: tuple[int, int] | None = None  # (hosts, slots) of the DeepSpeed hostfile
    hostfile_name: str | None = None
    config_doc: Document | None = None  # the config itself (None for a run only a launch line describes)
    documents: tuple[Document, ...] = ()  # every file the run read: the config, its includes, launch config, JSON
    tree: ConfigTree | None = None  # the config's resolution, for resolved values
    hostfile_hosts: tuple[str, ...] = ()  # the DeepSpeed hostfile's host names, in order
    training_script: str | None = None  # the .py file the launch line runs, when it is there (its facts are in script_facts)
    outside: tuple[Outside, ...] = ()  # files named by the run that lie outside the project fence: not read (BL009)
    # A launch or DeepSpeed file checked on its own: the training run of the launch line that names it
    # (`launch`), whose layout and total are this file's too (set by the engine, which builds that run).
    owner: RunModel | None = None
    linked_from: tuple[str, ...] = ()  # a file other configs link (a dataset TOML): the configs naming it, candidates for `owner`

    def view(self, doc: Document | None) -> DocumentView | None:
        return None if doc is None else view_of(doc)

    def config_view(self) -> DocumentView | None:
        return None if self.config_doc is None else view_of(self.config_doc, tree=self.tree)

    def launch_view(self) -> DocumentView | None:
        """The accelerate config of this run: the file itself, or the paired one."""
        return self.view(self.launch_doc)

    def document_view(self, path: str) -> DocumentView | None:
        """The view of the document of this run shown as `path`."""
        return self.view(next((d for d in self.documents if d.path == path), None))


def _own_layout(dialect: Dialect, facts: FactDict) -> bool:
    """The config fixes its own process count (NeMo `trainer.devices`, nanotron's parallel degrees): a
    script that launches it with another layout is another run, reported when that script is checked."""
    own = [facts.get(FactName.NUM_PROCESSES), facts.get(FactName.GPUS_PER_NODE), *(facts.get(name) for name in dialect.world_from[:1])]
    return any(f is not None and f.origin == Origin.FILE and isinstance(f.value, int) and f.value > 0 for f in own)


def _linked(dialect: Dialect) -> bool:
    """A dialect another one links (`Link`): its files are read through the config naming them."""
    from batchlint.dialects.registry import LINKED

    return dialect.name in LINKED


def _own_batch(dialect: Dialect, facts: FactDict) -> bool:
    """An accelerate config, or a DeepSpeed JSON that sets a batch value itself: one of "auto" values is
    a template its trainer fills, and the run is the launching script's."""
    if dialect.kind != DialectKind.DEEPSPEED:
        return True
    return any(positive_int(facts[n].value) is not None for n in (FactName.GLOBAL_BATCH, FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM) if n in facts)


def _load_launch(path: str, session: Session) -> tuple[Document | None, FactDict, LoadError | None]:
    """The accelerate config at `path`: its document and facts (read once per session: every config of
    a folder is launched with the same one), or why it cannot be read."""
    key = session.abspath(path)
    known = session.launch_configs.get(key)
    if known is None:
        known = session.launch_configs[key] = _read_launch(path, session)
    doc, facts, error = known
    return doc, dict(facts), error  # (a pairing's own dict: the cached one is never handed out)


def _read_launch(path: str, session: Session) -> tuple[Document | None, FactDict, LoadError | None]:
    try:
        doc = session.load(path)
    except LoadError as exc:
        return None, {}, exc
    if not ACCELERATE.claims(doc.root):
        return (
            None,
            {},
            LoadError(
                doc.path,
                1,
                1,
                "is not an accelerate config file (no distributed_type)",
                "pass the file written by `accelerate config`",
                LoadErrorKind.NOT_ACCELERATE,
            ),
        )
    return doc, extract_facts(ConfigTree(doc, path, ACCELERATE.semantics, session.load), ACCELERATE), None


def link_deepspeed(named: Fact[object], named_in: str, launch_dir: str | None, session: Session, mode: str, config: str) -> DeepSpeedLink | None:
    if not isinstance(named.value, str) or not named.value:
        return None
    path = find_near(named.value, named_in, launch_dir)
    if path is None:
        return DeepSpeedLink(named.value, named, mode)
    fence = session.fence_of_run(config, named_in)
    if not fence.allows(path):
        return DeepSpeedLink(named.value, named, mode, outside=fence.refusal("DeepSpeed config", named.value, path))
    try:
        doc = session.load(path)
    except LoadError as exc:
        return DeepSpeedLink(named.value, named, mode, path, error=exc)
    from batchlint.dialects.registry import DEEPSPEED  # its module only for a run that links a JSON

    facts = extract_facts(ConfigTree(doc, path, DEEPSPEED.semantics, session.load), DEEPSPEED) if isinstance(doc.root, Mapping) else {}
    return DeepSpeedLink(named.value, named, mode, path, doc, facts=facts)


def pair(
    session: Session,
    fs_path: str,
    dialect: Dialect,
    facts: FactDict,
    options: LaunchOptions,
    settings: FileSettings,
    launch: Launch | None = None,
    config_docs: tuple[Document, ...] = (),
    tree: ConfigTree | None = None,
) -> Pairing:
    """The launch of one config. `facts` are the config's own, `config_docs` the config and its
    includes (empty for a run only a launch line describes); `launch` is given when a script is
    checked (the line that launches this config), else found among the project's scripts."""
    from_file = bool(config_docs)
    launch_path: str | None = None
    launch_doc: Document | None = None
    launch_values: FactDict = {}
    problems: list[LoadError] = []
    script: str | None = None
    script_facts: FactDict = {}
    training_script: str | None = None
    outside: list[Outside] = []
    linked_from: tuple[str, ...] = ()
    given = options.accelerate_config or settings.accelerate_config or options.num_processes or settings.num_processes
    if dialect.kind != DialectKind.TRAINING and launch is None and from_file and not given and _own_batch(dialect, facts):
        # Checked on its own: the launch line naming it (`--config_file`, `--deepspeed_config`) is the run it is part of.
        launch = session.script_index(fs_path).find_naming(fs_path, "accelerate" if dialect.kind == DialectKind.LAUNCH else "deepspeed")
        script = display_path(launch.script_path) if launch is not None else None
    if dialect.kind == DialectKind.LAUNCH:
        launch_path = fs_path
        launch_values = dict(facts)  # the file's own values, before the command line overrides any
        launch_doc = config_docs[0] if config_docs else None
    elif dialect.kind == DialectKind.DEEPSPEED and script is not None:
        pass  # its launch's layout comes with the run that launch starts (Pairing.owner)
    else:
        launch_path = options.accelerate_config or settings.accelerate_config
        if launch_path and not options.accelerate_config and not session.fence_for(fs_path).allows(launch_path):
            where = settings_span(settings.path, "accelerate-config")
            outside.append(Outside(session.fence_for(fs_path).refusal("accelerate config", os.path.relpath(launch_path), launch_path), where))
            launch_path = None
        declared = launch_path or options.num_processes or settings.num_processes
        if launch is None and not declared and from_file and not _own_layout(dialect, facts):
            launch = session.find_launch(fs_path)  # a launch script of the repository names this config
            if launch is None and _linked(dialect):
                linked_from = tuple(session.script_index(fs_path).find_linking(fs_path))
        if launch is not None:
            script = display_path(launch.script_path)
            config_word = launch.launcher_args.get("--config_file")
            if launch_path is None and config_word is not None and not config_word.unresolved:
                launch_path = resolve_from_script(config_word.text, launch.script_path) or config_word.text
                if not launch.follows(launch_path, config_word, "accelerate config"):
                    launch_path = None
            script_facts = launch_facts(launch, script)
            training_script, program_facts = training_script_facts(launch, script)
            script_facts.update(program_facts)
            if from_file:
                script_facts.update(override_facts(launch, script, dialect.keys, facts))
        if launch_path is None and options.use_default_accelerate_config:
            launch_path = default_accelerate_config()
        if launch_path:
            launch_doc, launch_values, error = _load_launch(launch_path, session)
            if error is not None:
                problems.append(error)

    hostfile = hostfile_name = None
    hosts: list[tuple[str, int]] | None = None
    named_hostfile = launch_values.get(FactName.DEEPSPEED_HOSTFILE)
    if named_hostfile is not None and isinstance(named_hostfile.value, str) and launch_path:
        found = find_near(named_hostfile.value, launch_path, settings.launch_dir)
        fence = session.fence_of_run(fs_path, launch_path)
        if found and not fence.allows(found):
            outside.append(Outside(fence.refusal("hostfile", named_hostfile.value, found), named_hostfile.span or file_start(launch_path)))
            found = None
        from batchlint.loading.hostfile import read_hosts  # (a run naming a hostfile)

        hosts = read_hosts(found) if found else None
        hostfile = (len(hosts), sum(slots for _, slots in hosts)) if hosts else None
        hostfile_name = named_hostfile.value

    deepspeed = None
    dtype = launch_values.get(FactName.DISTRIBUTED_TYPE)
    named_json = launch_values.get(FactName.DEEPSPEED_CONFIG_FILE)
    if launch_path and named_json is not None and dtype is not None and dtype.value == "DEEPSPEED":
        # deepspeed_config is read only for DEEPSPEED launches (AC016 reports dead ones)
        deepspeed = link_deepspeed(named_json, launch_path, settings.launch_dir, session, "accelerate", fs_path)
    trainer_json = facts.get(FactName.DEEPSPEED_JSON) or script_facts.get(FactName.DEEPSPEED_JSON)
    if deepspeed is None and trainer_json is not None and isinstance(trainer_json.value, str):
        if trainer_json.origin == Origin.SCRIPT:
            # Named on a launch line (`--deepspeed ds.json`, `--deepspeed_config`): found from where the script runs;
            # a path with a part set at run time only when one file matches it.
            assert launch is not None
            unresolved = trainer_json.node is None
            found = session.resolve_named(trainer_json.value, unresolved, launch.script_path)
            if found is not None or not unresolved:
                deepspeed = link_deepspeed(
                    Fact(trainer_json.name, found or trainer_json.value, trainer_json.origin, trainer_json.key, trainer_json.span, trainer_json.node),
                    launch.script_path,
                    None,
                    session,
                    "deepspeed" if trainer_json.key == "--deepspeed_config" else "hf-trainer",
                    fs_path,
                )
        elif trainer_json.value.endswith(".json"):
            # The HF Trainer fills this JSON's "auto" values from its own arguments (and refuses mismatches).
            deepspeed = link_deepspeed(trainer_json, fs_path, settings.launch_dir, session, "hf-trainer", fs_path)
    if deepspeed is not None and deepspeed.outside is not None:
        outside.append(Outside(deepspeed.outside, deepspeed.named_by.span or file_start(fs_path)))
    if launch is not None:
        shown = display_path(launch.script_path)
        outside.extend(Outside(why, word_span(launch, word, shown)) for word, why in launch.outside.values())
    documents = list(config_docs)
    for extra in (launch_doc, deepspeed.doc if deepspeed is not None else None):
        if extra is not None and all(extra is not d for d in documents):
            documents.append(extra)
    return Pairing(
        launch_path,
        launch_doc,
        launch_values,
        tuple(problems),
        launch,
        script,
        script_facts,
        deepspeed,
        hostfile,
        hostfile_name,
        config_docs[0] if config_docs else None,
        tuple(documents),
        tree,
        hostfile_hosts=tuple(h for h, _ in hosts or ()),
        training_script=training_script,
        outside=tuple(outside),
        linked_from=linked_from,
    )


def file_start(path: str) -> Span:
    return Span(display_path(path), 1, 1, 1, 1, 0, 0)


def word_span(launch: Launch, word: Word, shown: str) -> Span:
    """Where a word of a launch line is, in its script."""
    from batchlint.loading.text import LineIndex

    index = LineIndex(launch.script.text)
    (line, column), (end_line, end_column) = index.position(word.start), index.position(word.end)
    return Span(shown, line, column, end_line, end_column, word.start, word.end)


def settings_span(settings_path: str | None, key: str) -> Span:
    """The line of a settings file that sets `key` (its first line when the key is not found as written)."""
    import re

    from batchlint.loading.files import read_text

    if settings_path is None:
        return Span("settings", 1, 1, 1, 1, 0, 0)
    shown = display_path(settings_path)
    try:
        text = read_text(settings_path, errors="replace")
    except OSError:
        return Span(shown, 1, 1, 1, 1, 0, 0)
    hit = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", text, re.MULTILINE)
    if hit is None:
        return Span(shown, 1, 1, 1, 1, 0, 0)
    line = text.count("\n", 0, hit.start()) + 1
    column = hit.start() - (text.rfind("\n", 0, hit.start()) + 1) + 1
    return Span(shown, line, column, line, column + len(key), hit.start(), hit.start() + len(key))
