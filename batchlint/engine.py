"""The pipeline: paths -> load -> detect -> extract -> pair -> derive -> memory -> rules -> diagnostics.

Each stage is a module with one entry point; this one calls them in order, once per file, and
collects what reporters print. Reporters never compute; rules never parse text.
"""

from __future__ import annotations

import os

from batchlint.loading import Document, LoadError
from batchlint.model import DialectKind, Fact, FactName, Origin, ProblemKind, RunModel
from batchlint.options import Options
from batchlint.pair import Pairing
from batchlint.paths import display_path
from batchlint.report import Report, unique
from batchlint.resolve import Problem
from batchlint.rules import Diagnostic, check_selectors, checks, select_codes
from batchlint.session import SKIP_DIRS, Session, is_launch_script
from batchlint.views import DocumentView

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field, replace
else:
    from batchlint.record import dataclass, field, replace

if TYPE_CHECKING:
    from typing import Any

    from batchlint.dialects.base import Dialect, SignatureMatch

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".jsonc", ".toml")
GENERIC = "generic"  # the generic reader's dialect name
HOSTFILE = "deepspeed-hostfile"  # a hostfile named on its own: its hosts and slots


@dataclass
class Analysis:
    """One checked file: what it is, and the run(s) it describes."""

    path: str  # display path
    view: DocumentView
    runs: list[tuple[RunModel, Pairing]] = field(default_factory=list)


def discover(paths: list[str], session: Session, force_exclude: bool = False) -> list[str]:
    """Files to check: directories walked for YAML/JSON (minus `exclude`), named files as given
    (minus `exclude` too with --force-exclude, which pre-commit hooks want)."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for directory, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for f in sorted(files):
                    full = os.path.join(directory, f)
                    if f.endswith(CONFIG_SUFFIXES) and not session.settings_for(full).excluded(full) and _walked(full, session):
                        out.append(full)
        elif not (force_exclude and session.settings_for(path).excluded(path)):
            out.append(path)
    return out


def _walked(path: str, session: Session) -> bool:
    """A file a walk found is checked unless it is a symlink to a file outside the project (the fence):
    the walk never follows a symlinked directory, so only the file itself can lead elsewhere."""
    return not os.path.islink(path) or session.fence_for(path).allows(path)


def build_run(
    session: Session,
    doc: Document | None,
    fs_path: str,
    dialect: object,
    options: Options,
    launch: object = None,
    given: object = None,
    match: object = None,
    reverse: bool = True,
) -> tuple[RunModel, Pairing, tuple[Problem, ...]]:
    """extract -> pair -> derive -> memory for one config (or one launch line when `doc` is None).
    `reverse`: a file checked on its own may be read through the run that names it (not while building that run)."""
    from batchlint.derive import derive
    from batchlint.dialects.base import Dialect, FactDict, SignatureMatch
    from batchlint.extract import extract_facts
    from batchlint.intent import parse_comments
    from batchlint.launch import Launch
    from batchlint.loading.keypath import has_defaults
    from batchlint.loading.shell import script_comments
    from batchlint.memory.attach import memory_for
    from batchlint.pair import pair
    from batchlint.resolve import ConfigTree

    assert isinstance(dialect, Dialect)
    assert launch is None or isinstance(launch, Launch)
    settings = session.settings_for(fs_path).for_file(fs_path)
    problems: tuple[Problem, ...] = ()
    tree: ConfigTree | None = None
    config_docs: tuple[Document, ...] = ()
    composed_from: list[Document] = []
    if doc is not None and has_defaults(doc):
        from batchlint.loading.hydra import compose

        doc, composed_from = compose(doc, fs_path, session.follower(fs_path, "Hydra defaults file"))  # a Hydra defaults list: the config the app gets
    if doc is not None:
        include_root = options.launch.include_root or settings.include_root
        tree = ConfigTree(doc, fs_path, dialect.semantics, session.load, include_root, fence=session.fence_for(fs_path))
        if dialect.config_root:
            from batchlint.resolve import parse_key_path

            tree.base = parse_key_path(dialect.config_root)
        problems = tuple(
            p for p in tree.resolve_all() if not (dialect.merged_at_run_time and p.kind in (ProblemKind.MISSING_KEY, ProblemKind.UNKNOWN_RESOLVER))
        )
        facts: FactDict = extract_facts(tree, dialect)
        linked: list[Document] = []
        if dialect.links:  # (configs of this dialect name other configs)
            from batchlint.links import follow_links

            linked = follow_links(session, dialect, facts, fs_path, settings.launch_dir)
        config_docs = (doc, *tree.includes.values(), *composed_from, *linked)
        config = doc.path
        comments = doc.comments
    else:
        assert launch is not None
        facts = dict(given or {})  # type: ignore[call-overload]
        config = display_path(fs_path)
        comments = script_comments(display_path(launch.script_path), launch.script.text)
    pairing = pair(session, fs_path, dialect, facts, options.launch, settings, launch, config_docs, tree)
    if reverse and dialect.kind != DialectKind.TRAINING and pairing.launch is not None:
        pairing = replace(pairing, owner=_owner_run(session, pairing.launch, options))
    elif reverse and pairing.linked_from:
        pairing = replace(pairing, owner=_linking_run(session, fs_path, pairing.linked_from, options))
    intents = tuple(parse_comments(comments))
    root = doc.root if doc is not None else None
    preset = dialect.preset_applies(root) if dialect.preset_applies is not None else True
    run = derive(config, dialect, facts, pairing, intents, preset, options.launch, settings)
    changes: dict[str, Any] = {}  # applied in one copy of the run (memory_for reads only its facts and sharding)
    if isinstance(match, SignatureMatch):
        changes.update(why=match.why(), confidence=match.confidence)
    elif doc is None:
        flags = ", ".join(f.key or "" for f in facts.values() if f.key and (f.span is None or f.span.file == config))  # not a near-miss file's keys
        changes.update(why=f"{dialect.name}: the launch line's flags ({flags})")
    if run.is_training:
        # A profile named in settings is followed from a file, so fenced; one named on the command line is the user's.
        load = session.load if options.launch.memory_profile else session.follower(fs_path, "memory profile")
        memory, missing = memory_for(run, options.launch, settings, load, dialect.preset_applies is not None and dialect.preset_applies(root))
        changes.update(memory=memory, memory_missing=missing)
    if changes:
        run = replace(run, **changes)
    return run, pairing, problems


def _composing_run(path: str, session: Session, options: Options) -> tuple[RunModel, Pairing] | None:
    """A fragment no dialect claims (a Hydra defaults entry, an included file): the run of the one training
    config of the project that reads it, when exactly one does."""
    key = os.path.abspath(path)
    found = [
        (run, pairing)
        for config in session.script_index(path).find_linking(path, fragment=True)
        for run, pairing in analyse(config, session, options, reverse=False).runs
        if run.is_training and any(os.path.abspath(doc.path) == key for doc in pairing.documents[1:])
    ]
    return found[0] if len(found) == 1 else None


def _generated_facts(session: Session, generator: object, word: object, path: str) -> dict[FactName, Fact[object]]:
    """A config a Python script writes before the launch (`python make_config.py`, then `--config-file
    make_config.yaml`): the values that script passes by keyword under the names of the keys the committed
    file's dialect reads (`micro_batch_size=2` for `tokens.micro_batch_size`)."""
    from batchlint.launch import keyword_literals
    from batchlint.loading.shell import Word

    assert isinstance(generator, Word) and isinstance(word, Word)
    script = session.resolve_named(generator.text, generator.unresolved, path)
    config = session.resolve_config(word, path)
    if script is None or config is None or not all(session.fence_for(path).allows(p) for p in (script, config)):
        return {}  # (outside the project: not read, the project fence)
    try:
        hit = detect_composed(session.load(config), config, session)
    except LoadError:
        return {}
    if hit is None or hit[0].kind != DialectKind.TRAINING:
        return {}
    literals = keyword_literals(script)
    out: dict[FactName, Fact[object]] = {}
    for name, keys in hit[0].keys.items():
        leaf = next((k.rsplit(".", 1)[-1] for k in keys if k.rsplit(".", 1)[-1] in literals), None)
        if leaf is not None:
            value, span = literals[leaf]
            key = next(k for k in keys if k.rsplit(".", 1)[-1] == leaf)
            out[name] = Fact(name, value, Origin.FILE, key, span, note=f"{leaf}={value} in {display_path(script)}, which writes {display_path(config)}")
    return out


def _near_miss_facts(launch: object, path: str, session: Session) -> dict[FactName, Fact[object]]:
    """The batch a launch line would get if a config path it names that does not exist were fixed: the
    project's one training config of that name, each value shown but unresolved (no total, no rule uses it)."""
    from batchlint.extract import extract_facts
    from batchlint.launch import Launch
    from batchlint.resolve import ConfigTree

    assert isinstance(launch, Launch)
    out: dict[FactName, Fact[object]] = {}
    for word in launch.training_configs():
        if word.unresolved or session.resolve_config(word, path) is not None:
            continue
        same = session.script_index(path).find_named(os.path.basename(word.text))
        if len(same) != 1 or not session.fence_for(path).allows(same[0]):  # (the project fence)
            continue
        try:
            doc = session.load(same[0])
        except LoadError:
            continue
        hit = detect_composed(doc, same[0], session)
        if hit is None or hit[0].kind != DialectKind.TRAINING:
            continue
        why = f"{word.text} does not exist: read from {display_path(same[0])}, the project's one file of that name, as it would be with the path fixed"
        for name, fact in extract_facts(ConfigTree(doc, same[0], hit[0].semantics, session.load), hit[0]).items():
            if name in (FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM, FactName.GLOBAL_BATCH) and fact.origin == Origin.FILE:
                out.setdefault(name, replace(fact, unresolved=why, node=None))
    return out


def _merge_partner(doc: Document, path: str, session: Session) -> tuple[Dialect, SignatureMatch] | None:
    """A config no dialect claims on its own that a launch line merges with others (`--base model.yaml
    sft.yaml`, later files winning): the dialect of the one that is a training config, for its own keys."""
    from batchlint.dialects.base import SignatureMatch

    launch = session.find_launch(path)
    words = launch.training_configs() if launch is not None else []
    if launch is None or len(words) < 2:
        return None
    key = os.path.abspath(path)
    for word in reversed(words):
        other = session.resolve_config(word, launch.script_path)
        if other is None or os.path.abspath(other) == key or not session.fence_of_run(path, launch.script_path).allows(other):  # (the fence)
            continue
        try:
            partner = session.load(other)
        except LoadError:
            continue
        hit = detect_composed(partner, other, session)
        if hit is not None and hit[0].kind == DialectKind.TRAINING:
            note = f"keys of {display_path(other)}, which the launch line in {display_path(launch.script_path)} merges this file with"
            return hit[0], SignatureMatch(hit[0].name, hit[1].found, confidence=hit[1].confidence, note=note)
    return None


def _owner_run(session: Session, launch: object, options: Options) -> RunModel:
    """The training run a launch line starts: for a launch or DeepSpeed file it names, checked on its own.
    A line that sets no batch (the trainer's defaults apply) still gives its layout."""
    from batchlint.dialects.shell_cli import DIALECT as SHELL_CLI
    from batchlint.launch import Launch, script_arg_facts

    assert isinstance(launch, Launch)
    for analysis in analyse_script(launch.called_from or launch.script_path, session, options, reverse=False):  # as its caller runs it
        for run, pairing in analysis.runs:
            if pairing.launch is launch and run.is_training:
                return run
    given = script_arg_facts(launch, display_path(launch.script_path))
    return build_run(session, None, launch.script_path, SHELL_CLI, options, launch=launch, given=given, reverse=False)[0]


def _linking_run(session: Session, fs_path: str, configs: tuple[str, ...], options: Options) -> RunModel | None:
    """The one training run, among those of the configs naming a linked file, that reads it (None when
    none or several do: which run it belongs to is then the user's choice)."""
    key = os.path.abspath(fs_path)
    runs = [
        run
        for config in configs
        for run, pairing in analyse(config, session, options, reverse=False).runs
        if run.is_training and any(os.path.abspath(doc.path) == key for doc in pairing.documents[1:])
    ]
    return runs[0] if len(runs) == 1 else None


def detect_composed(doc: Document, fs_path: str, session: Session) -> tuple[Dialect, SignatureMatch] | None:
    """The dialect of a config as its app composes it (a Hydra defaults list), or the generic reading."""
    from batchlint.detect import detect_match
    from batchlint.loading.keypath import has_defaults

    composed = doc
    if has_defaults(doc):  # a Hydra defaults list: the module that composes it only then
        from batchlint.loading.hydra import compose

        composed = compose(doc, fs_path, session.follower(fs_path, "Hydra defaults file"))[0]
    return detect_match(composed, session.settings_for(fs_path).dialects) or generic_read(composed)


def generic_read(doc: Document) -> tuple[Dialect, SignatureMatch] | None:
    """The generic reader's run of a file no dialect claims, when the file shows that it trains."""
    from batchlint.dialects.generic import read
    from batchlint.model import Semantics

    if doc.format == "yaml":
        semantics = Semantics.OMEGACONF if "${" in doc.text else Semantics.YAML11
    else:
        semantics = Semantics.JSON
    return read(doc.root, semantics, python=doc.format == "python")


def _view_dialect(name: str) -> str | None:
    """Rules about one file as written apply to files a dialect claims, not to a generic reading."""
    return None if name == GENERIC else name


def uncertain(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A generic reading's findings: information at most, with no fix, and no reminders (BL103, BL204)."""
    from batchlint.model import Severity

    return [
        Diagnostic(d.code, d.name, Severity.INFO, d.message + " (generic reading: check the keys batchlint chose)", d.span, d.help, d.related, None)
        for d in diags
        if d.code not in ("BL103", "BL204")
    ]


def _job_run(session: Session, doc: Document, path: str, options: Options) -> Analysis | None:
    """A Kubernetes training job: the run its container's launch line describes (k8s.py)."""
    from batchlint.dialects.shell_cli import DIALECT as SHELL_CLI
    from batchlint.k8s import job_launches, replicas
    from batchlint.launch import script_arg_facts
    from batchlint.loading.shell import Word

    shown = display_path(path)
    for launch in job_launches(doc, path):
        given = script_arg_facts(launch, shown)
        if FactName.PER_DEVICE_BATCH not in given and FactName.GLOBAL_BATCH not in given:
            continue
        pods = replicas(doc.root)
        if launch.launcher == "torchrun" and "--nnodes" not in launch.launcher_args and pods is not None:
            launch.launcher_args["--nnodes"] = Word(str(pods), 0, 0)  # the operator passes the replica count as the node count
        given.setdefault(FactName.GRAD_ACCUM, _script_default_accumulation())
        run, pairing, _ = build_run(session, None, path, SHELL_CLI, options, launch=launch, given=given)
        return Analysis(shown, DocumentView(shown, doc), [(run, pairing)])
    return None


def analyse(path: str, session: Session, options: Options, reverse: bool = True) -> Analysis:
    """A YAML/JSON file: load, detect, and the run of a training or launch config."""
    from batchlint.prefilter import worth_parsing

    shown = display_path(path)
    user_dialects = session.settings_for(path).dialects
    data = session.raw(path)
    # A file that names nothing a dialect reads is only checked for syntax (in C): it can be no
    # dialect, so building its positioned tree would be wasted.
    syntax_only = data is not None and not worth_parsing(data, user_dialects, compiled=session.prefilter_pays())
    try:
        doc = session.load(path, data, syntax_only)
    except LoadError as exc:
        from batchlint.loading.formats import unread_reason

        reason = unread_reason(path, exc, session.overlay.get(os.path.abspath(path)))
        if reason is not None:
            session.unread[shown] = reason  # a template or an editor's JSONC file: not a config a trainer reads
            return Analysis(shown, DocumentView(shown, None))
        return Analysis(shown, DocumentView(shown, None, exc))
    if syntax_only:
        launch = session.find_launch(path)
        if launch is None or len(launch.training_configs()) < 2:
            return Analysis(shown, DocumentView(shown, doc))
        doc = session.load(path, data)  # one of several configs a launch line merges (a model config): read as a whole
    hit = detect_composed(doc, path, session)
    parts = [doc]
    if hit is None and doc.format == "yaml" and "---" in doc.text:
        # A stream of several documents: the one a dialect claims (a loader that reads only the first
        # document still gives the file's text, and each document is read in place).
        from batchlint.loading.documents import split_documents

        parts = split_documents(doc)
        for part in parts[1:]:
            hit = detect_composed(part, path, session)
            if hit is not None:
                doc = part
                break
    if hit is None and doc.format == "yaml":
        for part in parts:  # a Kubernetes job after a Service and a Deployment in one file
            job = _job_run(session, part, path, options)
            if job is not None:
                return job
    if hit is None:
        hit = _merge_partner(doc, path, session)  # `--base model.yaml sft.yaml`: read as the file it is merged with
    if hit is None:
        composed = _composing_run(path, session, options) if reverse else None  # a Hydra defaults entry, an include: the run that reads it
        return Analysis(shown, DocumentView(shown, doc), [composed] if composed is not None else [])
    dialect, match = hit
    run, pairing, problems = build_run(session, doc, path, dialect, options, match=match, reverse=reverse)
    view = DocumentView(shown, doc, dialect=_view_dialect(dialect.name), semantics=dialect.semantics, problems=problems, tree=pairing.tree)
    return Analysis(shown, view, [(run, pairing)])


def _hostfile(path: str) -> bool:
    from batchlint.loading.hostfile import is_hostfile

    return os.path.isfile(path) and is_hostfile(path)


def analyse_hostfile(path: str) -> Analysis:
    """A DeepSpeed hostfile named on its own: the processes the DeepSpeed runner starts on it (every slot
    of every host, launcher/runner.py), for `inspect`."""
    from batchlint.loading.hostfile import read_hosts
    from batchlint.model import Fact, Semantics

    shown = display_path(path)
    hosts = read_hosts(path) or []
    slots = sum(n for _, n in hosts)
    note = f"{len(hosts)} hosts, {slots} slots: the DeepSpeed runner starts one process per slot"
    facts = {
        FactName.NUM_PROCESSES: Fact(FactName.NUM_PROCESSES, slots, Origin.DERIVED, "slots", note=note),
        FactName.NUM_MACHINES: Fact(FactName.NUM_MACHINES, len(hosts), Origin.DERIVED, "hosts"),
    }
    run = RunModel.build(shown, HOSTFILE, DialectKind.LAUNCH, Semantics.YAML11, facts, why=f"{HOSTFILE}: `host slots=N` lines")
    return Analysis(shown, DocumentView(shown, None, dialect=HOSTFILE), [(run, Pairing())])


def analyse_script(path: str, session: Session, options: Options, reverse: bool = True) -> list[Analysis]:
    """A launch script: the run of each training config it launches, or, when its launch line
    alone describes the training (`--train_batch_size ...`), that run."""
    from batchlint.detect import detect_match
    from batchlint.dialects.shell_cli import DIALECT as SHELL_CLI
    from batchlint.launch import overrides_document, program_defaults, script_arg_facts
    from batchlint.loading import read_text

    shown = display_path(path)
    key = os.path.abspath(path)
    if key not in session.overlay and key not in session.script_texts:
        try:
            session.script_texts[key] = read_text(path, shown)
        except LoadError as exc:
            return [Analysis(shown, DocumentView(shown, None, exc))]
    out: list[Analysis] = []
    # `python make_config.py` before `torchrun ... --config-file make_config.yaml`: the file is rewritten first.
    generators = {
        os.path.splitext(os.path.basename(launch.program.text))[0]: launch.program
        for launch in session.script_launches(path)
        if launch.launcher == "python" and launch.program is not None and launch.program.text.endswith(".py")
    }
    for launch in session.script_launches(path):
        claimed = None
        regenerated = None
        for word in reversed(launch.training_configs()):  # `--base a.yaml b.yaml`: the later file wins the merge
            if os.path.splitext(os.path.basename(word.text))[0] in generators:
                regenerated = word
                continue
            config = session.resolve_config(word, path)
            if config is None or not launch.follows(config, word, "training config"):  # outside the project: BL009 on the line's run
                continue
            try:
                doc: Document | None = session.load(config)
            except LoadError:
                doc = None
            hit = detect_composed(doc, config, session) if doc is not None else None
            if doc is not None and hit is not None and hit[0].kind == DialectKind.TRAINING:
                claimed = (config, doc, hit)
                break
        if claimed is None and launch.overrides and not launch.training_configs() and launch.program is not None:
            # A Hydra app launched with overrides only: its primary config is the one they all fit.
            from batchlint.loading.hydra import find_primary
            from batchlint.paths import script_bases

            primary = find_primary(launch.program.text, dict(launch.overrides), script_bases(path), session.follower(path, "Hydra config"))
            doc = session.load(primary) if primary is not None else None
            hit = detect_composed(doc, primary, session) if doc is not None and primary is not None else None
            if doc is not None and primary is not None and hit is not None and hit[0].kind == DialectKind.TRAINING:
                claimed = (primary, doc, hit)
        if claimed is None and launch.overrides:
            # No config file, but the launch line's Hydra overrides spell out a trainer's config.
            virtual = overrides_document(launch, shown)
            hit = detect_match(virtual, session.settings_for(path).dialects)
            if hit is not None and hit[0].kind == DialectKind.TRAINING:
                claimed = (path, virtual, hit)
        if claimed is not None:
            config, doc, (dialect, match) = claimed
            run, pairing, problems = build_run(session, doc, config, dialect, options, launch=launch, match=match, reverse=reverse)
            view = DocumentView(doc.path, doc, dialect=_view_dialect(dialect.name), semantics=dialect.semantics, problems=problems, tree=pairing.tree)
            out.append(Analysis(doc.path, view, [(run, pairing)]))
            continue
        given = script_arg_facts(launch, shown)
        if regenerated is not None:
            from batchlint.launch import word_fact

            generator = generators[os.path.splitext(os.path.basename(regenerated.text))[0]]
            written = _generated_facts(session, generator, regenerated, path)
            for name, fact in written.items():
                given.setdefault(name, fact)  # the launch line's own flags still win
            why = f"{regenerated.text} is written by a Python script this script runs first: its committed values are not what runs"
            given[FactName.TRAINING_CONFIG] = word_fact(
                FactName.TRAINING_CONFIG,
                regenerated,
                launch,
                shown,
                **({"note": why + f"; read from {os.path.basename(generator.text)}'s literals instead"} if written else {"unresolved": why}),
            )
        missing = next((w for w in launch.training_configs() if not w.unresolved and session.resolve_config(w, path) is None), None)
        if missing is not None and (launch.launcher != "python" or given or launch.tasks is not None):
            # A distributed or training launch (an inference script's missing file is not a training run's).
            from batchlint.launch import word_fact

            given[FactName.TRAINING_CONFIG] = word_fact(
                FactName.TRAINING_CONFIG, missing, launch, shown, problem=ProblemKind.NOT_FOUND, unresolved=f"{missing.text} does not exist"
            )
            for name, fact in _near_miss_facts(launch, path, session).items():
                given.setdefault(name, fact)
        if any(
            name in given
            for name in (FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM, FactName.MIXED_PRECISION, FactName.GLOBAL_BATCH, FactName.TRAINING_CONFIG)
        ):
            if FactName.GLOBAL_BATCH not in given:
                given.update(program_defaults(launch, given))  # the training script's argparse defaults for the flags left out
            if any(name in given for name in (FactName.PER_DEVICE_BATCH, FactName.GRAD_ACCUM, FactName.MIXED_PRECISION)):
                given.setdefault(FactName.GRAD_ACCUM, _script_default_accumulation())
            run, pairing, _ = build_run(session, None, path, SHELL_CLI, options, launch=launch, given=given, reverse=reverse)
            out.append(Analysis(shown, DocumentView(shown, None), [(run, pairing)]))
    return out or [Analysis(shown, DocumentView(shown, None))]


def _deps(path: str, analyses: list[Analysis]) -> list[str]:
    deps = [path]
    for analysis in analyses:
        for run, pairing in analysis.runs:
            deps.extend(os.path.abspath(doc.path) for doc in pairing.documents)
            if run.launch_script:
                deps.append(os.path.abspath(run.launch_script))
            if pairing.training_script:  # DS022 reads what the training script builds
                deps.append(os.path.abspath(pairing.training_script))
    return deps


def _read_text(path: str) -> str | None:
    from batchlint.loading.files import read_text

    try:
        return read_text(path, errors="replace")
    except OSError:
        return None


@dataclass
class FileOutcome:
    """What checking one file gave: its diagnostics, the runs it described, and the texts worth keeping
    (those the diagnostics point into, and those with suppression comments)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    runs: list[tuple[RunModel, Pairing]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)
    unread: dict[str, object] = field(default_factory=dict)  # files that gave no run: why (text, or the document to explain)


def _referenced(diagnostics: list[Diagnostic]) -> set[str]:
    files = set()
    for d in diagnostics:
        files.add(d.span.file)
        files.update(r.span.file for r in d.related)
        if d.fix is not None:
            files.update(e.file for e in d.fix.edits)
    return files


def _keep_texts(texts: dict[str, str], diagnostics: list[Diagnostic]) -> dict[str, str]:
    """Only the texts a reporter, the fixer or a suppression comment needs: memory stays flat however
    many files are checked."""
    from batchlint.suppression import may_hold_directives

    wanted = _referenced(diagnostics)
    return {f: t for f, t in texts.items() if f in wanted or may_hold_directives(t)}


def _from_cache(path: str, session: Session, options: Options, use_cache: bool) -> tuple[FileOutcome | None, str]:
    """The file's outcome served from the cache (None on a miss or with the cache off), and the
    context its entry is keyed by."""
    use_cache = use_cache and not options.baseline and not session.settings_for(path).values.get("baseline")  # git decides those
    if not use_cache:
        return None, ""
    from batchlint import cache  # (the cache and its json are not imported under --no-cache)

    context = session.cache_context(path, options)
    cached = cache.load(path, context)
    if cached is None:
        return None, context
    outcome = FileOutcome()
    outcome.diagnostics = cached
    shown, verified = display_path(path), cache.served_bytes(path)
    for file in {shown, *(d.span.file for d in cached)}:
        text = verified.decode("utf-8", "replace") if file == shown and verified is not None else _read_text(file)
        if text is not None:
            outcome.texts[file] = text
    outcome.texts = _keep_texts(outcome.texts, outcome.diagnostics)
    return outcome, context


def check_file(path: str, session: Session, options: Options, use_cache: bool, keep_runs: bool = True) -> FileOutcome:
    """One discovered file through the pipeline (or from the cache)."""
    served, context = _from_cache(path, session, options, use_cache)
    if served is not None:
        return served
    use_cache = bool(context)  # a miss to store (the context is empty with the cache off)
    outcome = FileOutcome()
    try:
        script = is_launch_script(path, session.overlay.get(session.abspath(path)))
        if script:
            analyses = analyse_script(path, session, options)
        elif not path.endswith(CONFIG_SUFFIXES) and _hostfile(path):
            analyses = [analyse_hostfile(path)]  # shown by inspect; no rule reads a hostfile on its own
        else:
            analyses = [analyse(path, session, options)]
        for analysis in analyses:
            analysis.runs = [(_with_baseline(run, pairing, session, options), pairing) for run, pairing in analysis.runs]
        file_settings = session.settings_for(path)
        check_selectors(file_settings)
        select = options.select if options.select is not None else file_settings.select()
        codes = select_codes(select, (options.ignore or []) + file_settings.ignores_for(path))
        diagnostics = outcome.diagnostics
        for analysis in analyses:
            runs = analysis.runs if analysis.view.dialect != HOSTFILE else []
            view = analysis.view
            for check_document, check_run in checks(codes, runs):  # only the rules that can report on these runs (their modules imported)
                if check_document is not None:
                    diagnostics.extend(check_document(view))
                if check_run is None:
                    continue
                for run, pairing in runs:
                    found = check_run(run, pairing)
                    diagnostics.extend(uncertain(list(found)) if run.dialect == GENERIC else found)
    except RecursionError:
        return FileOutcome(internal_errors=[f"{display_path(path)}: nested too deeply to analyse"])
    except Exception as exc:  # a bug in batchlint must not cost the user the other files
        from batchlint.baseline import BaselineError
        from batchlint.settings import SettingsError

        if isinstance(exc, SettingsError | BaselineError):
            raise
        return FileOutcome(internal_errors=[f"{display_path(path)}: internal error {type(exc).__name__}: {exc}"])
    for analysis in analyses:
        for run, pairing in analysis.runs:
            if keep_runs:
                outcome.runs.append((run, pairing))
            for doc in pairing.documents:
                outcome.texts.setdefault(doc.path, doc.text)
            if pairing.launch is not None and pairing.script is not None:
                outcome.texts.setdefault(pairing.script, pairing.launch.script.text)
        if not analysis.runs and analysis.view.loaded:
            own = session.documents.get(session.abspath(path))
            if isinstance(own, Document):
                outcome.texts.setdefault(own.path, own.text)
                if keep_runs:
                    outcome.unread.setdefault(analysis.path, own)  # explained only if inspect prints it
        elif not analysis.runs and analysis.path in session.unread:
            outcome.unread.setdefault(analysis.path, session.unread[analysis.path])
    if use_cache:
        from batchlint import cache

        cache.store(path, context, _deps(path, analyses), outcome.diagnostics)
    outcome.texts = _keep_texts(outcome.texts, outcome.diagnostics)
    if not keep_runs:
        session.release(path)
    return outcome


def _with_baseline(run: RunModel, pairing: Pairing, session: Session, options: Options) -> RunModel:
    """The run with the run at the baseline revision attached, when one is asked for (--baseline, `baseline` in settings)."""
    if not run.is_training or options.baseline == "" or options.baseline is None and run.setting("baseline") is None:
        return run
    from batchlint.baseline import baseline_run

    return replace(run, baseline=baseline_run(run, pairing, session, options, check))


# Above this many files, and with more than one core, files are checked by a pool of processes (the
# output is the same, merged in the order of the serial walk). pre-commit shards files over
# processes itself (and batchlint's hooks run serially for fixes), so it is left alone there.
PARALLEL_THRESHOLD = 300


def _script_default_accumulation() -> Fact[object]:
    """The accumulation of a launch line without an accumulation flag: the training script's default 1."""
    from batchlint.model import Fact

    return Fact(FactName.GRAD_ACCUM, 1, Origin.DEFAULT, note="no accumulation flag: the script's default 1 applies")


def _workers(files: int) -> int:
    if files < PARALLEL_THRESHOLD or os.environ.get("PRE_COMMIT") or os.environ.get("BATCHLINT_SERIAL") or not hasattr(os, "fork"):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, files // (PARALLEL_THRESHOLD // 2)))


_WARM_FILES = 16


def _chunks(files: list[str], workers: int) -> list[list[str]]:
    """Contiguous chunks (files of one project folder share launch configs and scripts), several per
    worker, smaller towards the end: when the files run out, no process is left checking a long last
    chunk while the others wait (a worker slowed by the machine's other load included). At most 64
    files: the parent, a worker too, takes in results only between its chunks, so a worker's
    results of one chunk (~3 KB a file) must fit in its pipe meanwhile."""
    full = min(64, max(25, -(-len(files) // (workers * 8))))
    chunks: list[list[str]] = []
    start = 0
    while start < len(files):
        size = max(8, min(full, (len(files) - start) // (workers * 4)))
        chunks.append(files[start : start + size])
        start += size
    return chunks


def _warm_imports() -> None:
    """What every worker runs, imported once before the fork instead of once in each worker."""
    import batchlint.derive
    import batchlint.detect
    import batchlint.extract
    import batchlint.intent
    import batchlint.memory.attach
    import batchlint.pair
    import batchlint.prefilter
    import batchlint.resolve
    import batchlint.rules  # noqa: F401


def _check_parallel(files: list[str], session: Session, options: Options, use_cache: bool, workers: int) -> list[FileOutcome]:
    """The files checked by forked processes, the outcomes in the order of the serial walk. The parent
    checks the first files itself, so every worker inherits the settings, project roots,
    launch-script index, side files and compiled patterns already read (once, not once per worker)."""
    import gc
    import sys

    from batchlint.parallel import forked_map

    _warm_imports()
    head = files[:_WARM_FILES]
    outcomes = [check_file(path, session, options, use_cache, keep_runs=False) for path in head]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # nothing buffered is inherited: a worker never writes it out a second time
    gc.freeze()  # what the workers inherit is never collected there, so its pages stay shared

    def check_chunk(chunk: list[str]) -> list[FileOutcome]:
        return [check_file(path, session, options, use_cache, keep_runs=False) for path in chunk]

    for chunk_outcomes in forked_map(check_chunk, _chunks(files[len(head) :], workers), workers):
        outcomes.extend(chunk_outcomes)
    return outcomes


def check(
    paths: list[str], options: Options, overlay: dict[str, str] | None = None, use_cache: bool = False, session: Session | None = None, keep_runs: bool = True
) -> Report:
    """Check the files under `paths`. `overlay` (absolute path -> text) stands in for files on disk.
    `keep_runs=False` (a plain `check`) lets a large walk run in parallel: only diagnostics come back."""
    session = session or Session(overlay)
    session.given = session.given or tuple(os.path.abspath(p) for p in paths)  # the project fence of a tree without .git / pyproject.toml
    report = Report()
    use_cache = use_cache and not overlay
    files = discover(paths, session, options.force_exclude)
    report.files = len(files)
    workers = 1 if keep_runs or overlay else _workers(len(files))
    recording = None
    if use_cache:
        from batchlint import cache

        recording = cache.begin()  # the reader notes what each file read: entries are keyed by that
    try:
        if workers > 1:
            # Served entries too: serving one costs about a fifth of checking the file, and the forked
            # map starts no pool (a warm 500-file run: 80 ms wall on two processes, 95 ms in one).
            outcomes = _check_parallel(files, session, options, use_cache, workers)
        else:
            outcomes = [check_file(path, session, options, use_cache, keep_runs) for path in files]
    finally:
        if recording is not None:
            from batchlint import cache

            cache.end(recording)
    report.diagnostics = unique(diag for outcome in outcomes for diag in outcome.diagnostics)
    for outcome in outcomes:
        for run, pairing in outcome.runs:
            report.runs.append(run)
            report.pairings.append(pairing)
        for file, text in outcome.texts.items():
            report.sources.setdefault(file, text)
        report.internal_errors.extend(outcome.internal_errors)
        for file, why in outcome.unread.items():
            report.unread.setdefault(file, why)
    from batchlint.suppression import apply_suppressions

    apply_suppressions(report, options, session)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
