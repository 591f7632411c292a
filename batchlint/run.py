"""The run: a small typed model of one training (or launch) config with provenance.

Built from a loaded document, its resolved values, the paired launch (accelerate config,
command line, settings) and the intent stated in comments. Rules read only this.
"""

from __future__ import annotations

import os

from batchlint.dialects import Dialect
from batchlint.facts import Fact, positive_int
from batchlint.intent import Intent, parse_comments
from batchlint.loading import Document, LoadError
from batchlint.loading.nodes import Span
from batchlint.options import LaunchOptions
from batchlint.resolve import ConfigTree, DocumentLoader, Problem, format_path, reading_difference

TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.dialects.shell import Launch
    from batchlint.memory.model import MemoryModel

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The facts named in the inspect JSON contract, in display order.
CONTRACT_FACTS = ("per_device_batch", "grad_accum", "effective_grad_accum", "num_processes", "num_machines",
                  "gpu_ids", "distributed_type", "data_parallel_size", "mixed_precision", "gradient_checkpointing")
# Launch facts copied into a training run (the training config's own precision wins: it is
# passed to Accelerator(), which beats the accelerate file).
LAUNCH_FACTS = ("num_processes", "num_machines", "gpu_ids", "distributed_type", "launcher_grad_accum",
                "deepspeed_hostfile", "deepspeed_multinode_launcher",
                "deepspeed_config_file", "mpirun_hostfile", "dp_replicate_size", "dp_shard_size", "tp_size",
                "cp_size", "sp_size", "megatron_tp", "megatron_pp", "megatron_num_micro_batches", "zero_stage",
                "fsdp_sharding_strategy")


class Target:
    __slots__ = ("value", "source", "description", "span")

    def __init__(self, value: int, source: str, description: str, span: Span | None = None) -> None:
        self.value = value
        self.source = source  # "cli", "settings", "comment", "preset"
        self.description = description  # where it came from, for messages
        self.span = span


class Run:
    def __init__(self, config: str, dialect: Dialect, facts: dict[str, Fact], documents: list[Document] | None = None) -> None:
        self.config = config
        self.dialect = dialect
        self.facts = facts
        self.launch: str | None = None
        self.stated_intent: list[Intent] = []
        self.target: Target | None = None
        self.problems: list[Problem] = []  # resolution problems in the config
        self.launch_problems: list[tuple[str, LoadError]] = []
        self.documents: list[Document] = documents or []
        self.tree: ConfigTree | None = None  # the training config's resolution, for fixes
        self.deepspeed: DeepSpeedLink | None = None  # the DeepSpeed JSON of the launch, if any
        self.launch_facts: dict[str, Fact] = {}  # the accelerate config's own facts
        self.settings: dict[str, Any] = {}  # the settings that apply to this config
        self.launch_script: str | None = None  # the script whose launch line pairs this run
        self.script_source: tuple[str, str] | None = None  # (display path, text) of that script
        self.memory: MemoryModel | None = None
        self.memory_missing: str | None = None  # why there is no memory model (BL204)

    @property
    def is_training(self) -> bool:
        return self.dialect.kind == "training"

    @property
    def is_launch(self) -> bool:
        return self.dialect.kind == "launch"

    def launch_document(self) -> Document | None:
        """The accelerate config of this run: the file itself, or the paired one."""
        if self.is_launch:
            return self.documents[0]
        return next((d for d in self.documents if d.path == self.launch), None) if self.launch else None

    def fact(self, name: str) -> Fact | None:
        return self.facts.get(name)

    def int_fact(self, name: str) -> int | None:
        f = self.facts.get(name)
        return positive_int(f.value) if f else None

    @property
    def accumulation(self) -> Fact | None:
        """The accumulation that really applies per optimizer step."""
        return self.facts.get("effective_grad_accum") or self.facts.get("grad_accum")

    @property
    def total_batch(self) -> int | None:
        if not self.is_training:
            return None
        per_device = self.int_fact("per_device_batch")
        dp = self.int_fact("data_parallel_size")
        acc = self.accumulation
        ga = positive_int(acc.value) if acc else None
        if per_device is None or dp is None or ga is None:
            return None
        return per_device * dp * ga

    def as_json(self) -> dict[str, Any]:
        facts = {name: self.facts[name].as_json() for name in CONTRACT_FACTS if name in self.facts}
        for name, fact in self.facts.items():
            if name not in facts:
                facts[name] = fact.as_json()
        return {
            "config": self.config,
            "dialect": self.dialect.name,
            "launch": self.launch,
            "facts": facts,
            "total_batch": self.total_batch,
            "target_total": None if self.target is None else {
                "value": self.target.value, "source": self.target.source, "from": self.target.description},
            "launch_script": self.launch_script,
            "stated_intent": [i.as_json() for i in self.stated_intent],
            "memory": (self.memory.as_json(self.int_fact("per_device_batch")) if self.memory is not None
                       else {"missing": self.memory_missing} if self.is_training else None),
        }


def extract_facts(tree: ConfigTree, dialect: Dialect) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    for name, paths in dialect.keys.items():
        for dotted in paths:
            res = tree.get(dotted)
            if res is None:
                continue
            if res.problem is not None:
                facts[name] = Fact(name, None, "file", dotted, res.problem.span, unresolved=res.problem.message)
            elif res.container is not None:
                node = res.container
                facts[name] = Fact(name, None, "file", dotted, node.span,
                                   unresolved=f"`{dotted}` is a {'mapping' if hasattr(node, 'get') else 'list'}, not a value")
            else:
                assert res.origin is not None
                key = dotted if res.composite or res.origin_path is None else format_path(res.origin_path)
                note = reading_difference(res.origin, dialect.semantics) if dialect.semantics == "omegaconf" else None
                if note is None and dialect.semantics == "yaml11" and res.origin.style == "" and isinstance(res.value, bool) \
                        and res.origin.raw not in ("true", "false", "True", "False"):
                    note = f"unquoted `{res.origin.raw}` is the boolean {res.value} to PyYAML (YAML 1.1), not a string"
                facts[name] = Fact(name, res.value, "file", key, res.origin.span, res.origin, list(res.hops), note)
                facts[name].read_as = dotted
            break
        else:
            if name in dialect.defaults:
                facts[name] = Fact(name, dialect.defaults[name], "default", None,
                                   note=f"no {' / '.join(paths)} key: the training script's default {dialect.defaults[name]} applies")
    return facts


def _load_launch(path: str, load: DocumentLoader, run: Run) -> dict[str, Fact] | None:
    from batchlint.dialects import accelerate

    try:
        doc = load(path)
    except LoadError as exc:
        run.launch_problems.append((path, exc))
        return None
    if not accelerate.DIALECT.detect(doc.root):
        run.launch_problems.append((path, LoadError(doc.path, 1, 1, "is not an accelerate config file (no distributed_type)",
                                                    "pass the file written by `accelerate config`")))
        return None
    run.documents.append(doc)
    tree = ConfigTree(doc, path, "yaml11", load)
    return extract_facts(tree, accelerate.DIALECT)


def default_accelerate_config() -> str:
    """accelerate's default config path (accelerate `commands/config/config_args.py`):
    $HF_HOME/accelerate/default_config.yaml, HF_HOME defaulting to ${XDG_CACHE_HOME:-~/.cache}/huggingface."""
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return os.path.join(hf_home, "accelerate", "default_config.yaml")


def find_near(name: str, launch_path: str, launch_dir: str | None) -> str | None:
    """A file named in an accelerate config: relative to the launch directory (settings
    `launch-dir`, else where batchlint runs), else to the config's directory or a parent of it."""
    if os.path.isabs(name):
        return name if os.path.isfile(name) else None
    candidates = [os.path.join(launch_dir, name)] if launch_dir else []
    candidates.append(name)
    directory = os.path.dirname(os.path.abspath(launch_path))
    while True:
        candidates.append(os.path.join(directory, name))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return next((c for c in candidates if os.path.isfile(c)), None)


def read_hostfile(path: str) -> tuple[int, int] | None:
    """(hosts, total slots) of a DeepSpeed hostfile (`host slots=N` lines)."""
    hosts = slots = 0
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                hosts += 1
                slot = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("slots=")), "1")
                slots += int(slot) if slot.isdigit() else 1
    except (OSError, UnicodeDecodeError):
        return None
    return (hosts, slots) if hosts else None


class DeepSpeedLink:
    """The DeepSpeed JSON of a run: named by an accelerate config (`deepspeed_config.deepspeed_config_file`)
    or by an HF Trainer-style config (`deepspeed: ds.json`)."""

    def __init__(self, name: str, named_by: Fact, mode: str = "accelerate") -> None:
        self.name = name  # as written
        self.named_by = named_by
        self.mode = mode  # who fills its "auto" values: accelerate or hf-trainer
        self.path: str | None = None  # found on disk
        self.doc: Document | None = None
        self.error: LoadError | None = None  # found but unreadable
        self.facts: dict[str, Fact] = {}


def link_deepspeed(facts: dict[str, Fact], launch_path: str, launch_dir: str | None, load: DocumentLoader,
                   named: Fact | None = None, mode: str = "accelerate") -> DeepSpeedLink | None:
    from batchlint.dialects import deepspeed
    from batchlint.loading.nodes import Mapping

    if named is None:
        named = facts.get("deepspeed_config_file")
        dtype = facts.get("distributed_type")
        if dtype is None or dtype.value != "DEEPSPEED":
            return None  # deepspeed_config is read only for DEEPSPEED launches (AC016 reports dead ones)
    if named is None or not isinstance(named.value, str) or not named.value:
        return None
    link = DeepSpeedLink(named.value, named, mode)
    link.path = find_near(named.value, launch_path, launch_dir)
    if link.path is None:
        return link
    try:
        link.doc = load(link.path)
    except LoadError as exc:
        link.error = exc
        return link
    if isinstance(link.doc.root, Mapping):
        link.facts = extract_facts(ConfigTree(link.doc, link.path, "json", load), deepspeed.DIALECT)
    return link


def _deepspeed_accum(link: DeepSpeedLink | None) -> tuple[str, Fact | None] | None:
    """(file name, its gradient_accumulation_steps) for the effective-accumulation table, or None."""
    if link is None or link.doc is None:
        return None
    ga = link.facts.get("grad_accum")
    name = os.path.basename(link.path or link.name)
    if ga is None:
        return name, None
    return name, Fact("effective_grad_accum", ga.value, "file", ga.key, ga.span, ga.node)


def _derive_axolotl(facts: dict[str, Fact]) -> None:
    """axolotl: accumulation from batch_size // micro_batch_size when unset; the GPU count and the
    data-parallel degree from the parallel sizes written in the file."""
    batch = facts.get("batch_size")
    micro = facts.get("per_device_batch")
    ga = facts.get("grad_accum")
    if batch is not None and micro is not None and (ga is None or ga.source == "default"):
        b, m = positive_int(batch.value), positive_int(micro.value)
        if b and m:
            facts["grad_accum"] = Fact("grad_accum", b // m, "derived", batch.key, batch.span, None,
                                       note=f"batch_size {b} // micro_batch_size {m} (axolotl normalize_config)")
    sizes = {n: positive_int(facts[n].value) for n in ("dp_shard_size", "dp_replicate_size", "tp_size", "cp_size") if n in facts}
    if sizes and "num_processes" not in facts and all(sizes.values()):
        product = 1
        for size in sizes.values():
            product *= size or 1
        facts["num_processes"] = Fact("num_processes", product, "derived",
                                      note="product of the parallel sizes in the file: " + " × ".join(f"{n} {s}" for n, s in sizes.items()))


def _derive_model_parallel(facts: dict[str, Fact], dialect: str) -> None:
    """GPT-NeoX: data-parallel size = world / (pipe × model); torchtune: world / tensor_parallel_dim;
    Composer: the per-device batch is the declared global batch over the data-parallel size."""
    procs = positive_int(facts["num_processes"].value) if "num_processes" in facts else None
    divisor = 1
    for name in ("pp_size", "mp_size"):
        if name in facts:
            divisor *= positive_int(facts[name].value) or 1
    if "tp_size" in facts and "dp_shard_size" not in facts:
        divisor *= positive_int(facts["tp_size"].value) or 1
    if procs is not None and divisor > 1:
        facts["data_parallel_size"] = Fact("data_parallel_size", procs // divisor, "derived",
                                           note=f"{procs} processes / {divisor} (pipeline × model/tensor parallel ranks share batches)")
    glob = facts.get("global_batch")
    if dialect == "composer" and glob is not None and "per_device_batch" not in facts and procs is not None and positive_int(glob.value):
        g = positive_int(glob.value)
        assert g is not None
        if g % procs == 0:
            facts["per_device_batch"] = Fact("per_device_batch", g // procs, "derived", glob.key, glob.span,
                                             note=f"global_train_batch_size {g} / {procs} processes (Composer)")
            facts.setdefault("grad_accum", Fact("grad_accum", 1, "default",
                                                note="device_train_microbatch_size only splits the per-device batch"))


def build_run(doc: Document | None, fs_path: str, dialect: Dialect, options: LaunchOptions,
              settings: dict[str, Any], load: DocumentLoader, launch: Launch | None = None,
              given_facts: dict[str, Fact] | None = None) -> Run:
    """The run of one config. `doc` is None for a run that only a launch script describes
    (`given_facts` then holds the training script's arguments)."""
    from batchlint.dialects import accelerate
    from batchlint.loading import display_path

    if doc is not None:
        include_root = options.include_root or settings.get("include-root")
        tree = ConfigTree(doc, fs_path, dialect.semantics, load, include_root)
        run = Run(doc.path, dialect, {}, documents=[doc])
        run.problems = tree.resolve_all()
        run.tree = tree
        facts = extract_facts(tree, dialect)
        run.documents.extend(tree.includes.values())
    else:
        run = Run(display_path(fs_path), dialect, {}, documents=[])
        facts = dict(given_facts or {})
    run.settings = settings

    launch_facts: dict[str, Fact] = {}
    launch_path: str | None = None
    if dialect.kind == "launch":
        launch_facts = dict(facts)  # the file's own values, before the command line overrides any
        run.launch_facts = launch_facts
        launch_path = fs_path
    else:
        launch_path = options.accelerate_config or settings.get("accelerate-config")
        declared = launch_path or options.num_processes or settings.get("num-processes")
        if launch is None and not declared and doc is not None:
            from batchlint.launch_scripts import find_launch

            launch = find_launch(fs_path)  # a launch script of the repository names this config
        script_facts: dict[str, Fact] = {}
        if launch is not None:
            from batchlint.dialects.shell import launch_facts as read_launch
            from batchlint.launch_scripts import resolve_from_script

            shown = display_path(launch.script_path)
            run.launch_script = shown
            run.script_source = (shown, launch.script.text)
            config_word = launch.launcher_args.get("--config_file")
            if launch_path is None and config_word is not None and not config_word.unresolved:
                launch_path = resolve_from_script(config_word.text, launch.script_path) or config_word.text
            script_facts = read_launch(launch, shown)
            if doc is not None:
                from batchlint.dialects.shell import override_facts

                script_facts.update(override_facts(launch, shown, dialect.keys, facts))
        if launch_path is None and options.use_default_accelerate_config:
            launch_path = default_accelerate_config()
        if launch_path:
            loaded = _load_launch(launch_path, load, run)
            if loaded is not None:
                launch_facts = loaded
                run.launch = run.documents[-1].path
        run.launch_facts = launch_facts
        for name in LAUNCH_FACTS:
            if name in launch_facts and launch_facts[name].source != "default":
                facts[name] = launch_facts[name]
        if "mixed_precision" in launch_facts:
            lp = launch_facts["mixed_precision"]
            facts["launch_mixed_precision"] = Fact("launch_mixed_precision", lp.value, lp.source, lp.key, lp.span, lp.node,
                                                   note="the training config's own precision is passed to Accelerator() and wins")
        # The launch line beats the accelerate file (accelerate launch's CLI flags).
        facts.update(script_facts)

    # Explicit process counts: the command line, then settings (like `accelerate launch --num_processes`).
    for name, flag, setting in (("num_processes", "--num-processes", "num-processes"),
                                ("num_machines", "--num-machines", "num-machines")):
        cli_value = getattr(options, name)
        if cli_value is not None:
            facts[name] = Fact(name, cli_value, "cli", flag)
        elif settings.get(setting) is not None and (dialect.kind == "training" or name not in facts):
            facts[name] = Fact(name, settings[setting], "settings", setting,
                               note=f"from {settings.get('_path', 'settings')}")

    hostfile = facts.get("deepspeed_hostfile")
    if hostfile is not None and isinstance(hostfile.value, str) and launch_path:
        found = find_near(hostfile.value, launch_path, settings.get("launch-dir"))
        counted = read_hostfile(found) if found else None
        if counted is not None:
            facts["hostfile_hosts"] = Fact("hostfile_hosts", counted[0], "derived", hostfile.value,
                                           note=f"{counted[0]} hosts, {counted[1]} slots in {hostfile.value}")
    _derive_axolotl(facts)
    _derive_model_parallel(facts, dialect.name)
    if launch_facts or dialect.kind == "launch":
        dp = accelerate.data_parallel(facts)
    elif positive_int(facts["num_processes"].value if "num_processes" in facts else None):
        procs = positive_int(facts["num_processes"].value)
        machines = positive_int(facts["num_machines"].value) if "num_machines" in facts else None
        assert procs is not None
        world = (procs // machines) * machines if machines and machines > 1 else procs
        dp = Fact("data_parallel_size", world, "derived",
                  note=None if world == procs else f"{procs} processes on {machines} machines: {world} ranks")
        shard = [positive_int(facts[n].value) or 1 for n in ("dp_shard_size", "dp_replicate_size") if n in facts]
        if shard and any(n in facts for n in ("tp_size", "cp_size")):
            dp = Fact("data_parallel_size", (shard[0] if len(shard) == 1 else shard[0] * shard[1]), "derived",
                      note="dp_shard × dp_replicate: tensor/context-parallel ranks share batches")
    else:
        dp = None
    if dp is not None and "data_parallel_size" not in facts:
        facts["data_parallel_size"] = dp

    if launch_facts and launch_path:
        run.deepspeed = link_deepspeed(facts, launch_path, settings.get("launch-dir"), load)
        if run.deepspeed is not None and run.deepspeed.doc is not None:
            run.documents.append(run.deepspeed.doc)
    trainer_json = facts.get("deepspeed_json")
    if run.deepspeed is None and trainer_json is not None and isinstance(trainer_json.value, str) and trainer_json.value.endswith(".json"):
        # The HF Trainer fills this JSON's "auto" values from its own arguments (and refuses mismatches).
        run.deepspeed = link_deepspeed(facts, fs_path, settings.get("launch-dir"), load, trainer_json, "hf-trainer")
        if run.deepspeed is not None and run.deepspeed.doc is not None:
            run.documents.append(run.deepspeed.doc)
    if dialect.kind == "training" and launch_facts:
        eff = accelerate.effective_grad_accum(facts, _deepspeed_accum(run.deepspeed))
        ga = facts.get("grad_accum")
        if eff is not None and (ga is None or eff.value != ga.value):
            facts["effective_grad_accum"] = eff

    run.facts = facts
    if doc is not None:
        run.stated_intent = parse_comments(doc.comments)
    elif run.script_source is not None:
        from batchlint.loading.text import LineIndex, find_comments

        shown, text = run.script_source
        run.stated_intent = parse_comments(find_comments(shown, LineIndex(text), set()))
    run.target = _target(run, options, settings)
    if run.is_training:
        from batchlint.memory.attach import attach_memory

        attach_memory(run, options, settings, load)
    return run


def _preset_applies(run: Run) -> bool:
    """A dialect's preset speaks for its own project only (see dialects/musev.py)."""
    if run.dialect.name != "musev" or not run.documents:
        return run.dialect.name != "musev"
    from batchlint.dialects.musev import is_musev_model

    return is_musev_model(run.documents[0].root)


def _target(run: Run, options: LaunchOptions, settings: dict[str, Any]) -> Target | None:
    if not run.is_training:
        return None
    if options.target_total is not None:
        return Target(options.target_total, "cli", "--target-total")
    if settings.get("target-total") is not None:
        return Target(settings["target-total"], "settings", f"target-total in {settings.get('_path', 'settings')}")
    for intent in run.stated_intent:
        if intent.total is not None:
            return Target(intent.total, "comment", f"the comment at line {intent.span.line}", intent.span)
    if run.dialect.preset_target is not None and _preset_applies(run):
        return Target(run.dialect.preset_target, "preset", run.dialect.preset_source)
    return None
