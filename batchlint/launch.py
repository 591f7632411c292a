"""Launch lines in shell scripts: `accelerate launch`, `torchrun`, `deepspeed`, `tune run`,
`python train.py`, with the launcher's own flags (before the script) told apart from the training
script's arguments (after it). A launch links a training config (`--config`, `--config_file`, a
YAML argument) to its process count and accelerate config, so pairing works without settings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace

from batchlint.loading.hostfile import read_hostfile
from batchlint.loading.nodes import Scalar, Span
from batchlint.loading.shell import Command, Script, Word, read_script
from batchlint.loading.text import LineIndex
from batchlint.model import Fact, FactName, Origin
from batchlint.paths import display_path, resolve_from_script

# Flags that take no value, per launcher (everything else starting with - takes one, unless written --flag=value).
_BARE = {
    "accelerate": {"--multi_gpu", "--use_deepspeed", "--use_fsdp", "--use_megatron_lm", "--cpu", "--tpu", "--tpu_cluster",
                   "--debug", "--same_network", "--quiet", "-q", "--no_python", "--downcast_bf16", "--enable_cpu_affinity",
                   "--use_parallelism_config", "--fp16", "--use_cpu", "--module", "-m", "--monitor_interval"},
    "torchrun": {"--standalone", "--no_python", "--no-python", "-m", "--module", "--run_path", "--run-path"},
    "deepspeed": {"--no_local_rank", "--no_python", "--module", "--force_multi", "--bind_cores_to_rank", "--enable_each_rank_log"},
    "tune": {"--ignore-remaining"},
    "python": {"-m", "-u", "-O", "-B"},
}
_MODULE_FLAGS = {"-m", "--module"}
CONFIG_FLAGS = ("--config", "--config_file", "--config-file", "--config_path", "--config-path", "--cfg", "-c",
                "--train_config", "--unet_config_path", "--configs", "--base", "-b")
BATCH_FLAGS = ("--per_device_train_batch_size", "--train_batch_size", "--micro_batch_size", "--batch_size", "--train_bs")
ACCUM_FLAGS = ("--gradient_accumulation_steps", "--train_gradient_accumulation_steps", "--grad_accum")


class Launch:
    def __init__(self, script_path: str, script: Script, command: Command, launcher: str) -> None:
        self.script_path = script_path
        self.script = script
        self.command = command
        self.launcher = launcher
        self.launcher_args: dict[str, Word | None] = {}  # flags before the training script
        self.program: Word | None = None  # the training script or module
        self.script_args: dict[str, Word | None] = {}  # --flags after it (last wins)
        self.positional: list[Word] = []
        self.overrides: dict[str, Word] = {}  # Hydra key=value

    def arg(self, *names: str) -> Word | None:
        for name in names:
            if name in self.script_args and self.script_args[name] is not None:
                return self.script_args[name]
        return None

    def training_config(self) -> Word | None:
        hit = self.arg(*CONFIG_FLAGS)
        if hit is not None and hit.text.endswith((".yaml", ".yml", ".json")):
            return hit
        return next((w for w in self.positional if w.text.endswith((".yaml", ".yml"))), None)


def _split_flag(words: list[Word], i: int, bare: set[str]) -> tuple[str, Word | None, int]:
    w = words[i]
    if "=" in w.text and w.text.startswith("-"):
        name, _, value = w.text.partition("=")
        offset = len(name) + 1
        return name, Word(value, w.start + offset if not w.unresolved else w.start, w.end, w.unresolved, w.quoted), i + 1
    if (w.text in bare or i + 1 >= len(words) or words[i + 1].text.startswith("--")
            or re.match(r"^\+?[A-Za-z_][\w.@/-]*=", words[i + 1].text)):  # a Hydra override follows a bare flag
        return w.text, None, i + 1
    return w.text, words[i + 1], i + 2


def parse_launch(path: str, script: Script, command: Command) -> Launch | None:
    words = list(command.words)
    while words and words[0].text in ("srun", "exec", "nohup", "time", "env", "sudo"):
        words = words[1:]
    while words and "=" in words[0].text and not words[0].text.startswith("-"):
        words = words[1:]  # env VAR=... prefixes after `env`
    if not words:
        return None
    head = os.path.basename(words[0].text)
    if head == "accelerate" and len(words) > 1 and words[1].text == "launch":
        launcher, i = "accelerate", 2
    elif head in ("torchrun",):
        launcher, i = "torchrun", 1
    elif head == "deepspeed":
        launcher, i = "deepspeed", 1
    elif head == "tune" and len(words) > 1 and words[1].text == "run":
        launcher, i = "tune", 2
    elif head in ("llamafactory-cli", "axolotl") and len(words) > 1 and words[1].text == "train":
        # The trainer's own CLI: everything after `train` is a training argument.
        launch = Launch(path, script, command, "python")
        launch.program = words[1]
        _script_args(launch, words, 2)
        return launch
    elif re.fullmatch(r"python[\d.]*", head):
        if len(words) > 2 and words[1].text == "-m" and words[2].text in ("torch.distributed.run", "torch.distributed.launch"):
            launcher, i = "torchrun", 3
        elif len(words) > 2 and words[1].text == "-m" and words[2].text == "accelerate.commands.launch":
            launcher, i = "accelerate", 3
        else:
            launcher, i = "python", 1
    else:
        return None
    launch = Launch(path, script, command, launcher)
    bare = _BARE[launcher]
    while i < len(words):
        w = words[i]
        if not w.text.startswith("-"):
            launch.program = w
            i += 1
            break
        name, value, i = _split_flag(words, i, bare)
        if name in _MODULE_FLAGS and value is None and i < len(words):
            launch.program = words[i]
            i += 1
            break
        launch.launcher_args[name.replace("-", "_").replace("__", "--", 1) if name.startswith("--") else name] = value
    _script_args(launch, words, i)
    return launch


def _script_args(launch: Launch, words: list[Word], i: int) -> None:
    while i < len(words):
        w = words[i]
        if w.text.startswith("-"):
            name, value, i = _split_flag(words, i, set())
            launch.script_args[name] = value
            continue
        m = re.match(r"^\+{0,2}([A-Za-z_][\w.@/-]*)=(.*)$", w.text)
        if m:
            launch.overrides[m.group(1)] = Word(m.group(2), w.start + len(w.text) - len(m.group(2)), w.end, w.unresolved)
        else:
            launch.positional.append(w)
        i += 1


def launches(path: str, text: str) -> list[Launch]:
    script = read_script(text)
    out = []
    for command in script.commands:
        launch = parse_launch(path, script, command)
        if launch is not None:
            out.append(launch)
    return out


def _int(word: Word | None) -> int | None:
    if word is None or word.unresolved:
        return None
    m = re.match(r"^\s*(\d+)", word.text)
    return int(m.group(1)) if m else None


def _fact(name: FactName, value: object, word: Word, key: str, path: str, index: LineIndex, note: str | None = None) -> Fact[object]:
    line, col = index.position(word.start)
    end_line, end_col = index.position(word.end)
    span = Span(path, line, col, end_line, end_col, word.start, word.end)
    # The flag's value as a scalar, so that fixes edit it in place like a value in a YAML file.
    raw = index.text[word.start:word.end]
    style = raw[0] if raw[:1] in ("'", '"') and raw[-1:] == raw[:1] else ""
    node = Scalar(span, word.text, "tag:yaml.org,2002:str", style, value) if not word.unresolved else None
    return Fact(name, value, Origin.SCRIPT, key, span, node, note=note)


def launch_facts(launch: Launch, display: str) -> dict[FactName, Fact[object]]:
    """What the launch line says about processes, machines and the launcher's own settings."""
    index = LineIndex(launch.script.text)
    facts: dict[FactName, Fact[object]] = {}
    a = launch.launcher_args

    def put(name: FactName, flag: str, value: object | None, word: Word | None) -> None:
        if value is not None and word is not None:
            facts[name] = _fact(name, value, word, flag, display, index)

    if launch.launcher == "accelerate":
        _accelerate_sharding(launch, display, index, facts)
        put(FactName.NUM_PROCESSES, "--num_processes", _int(a.get("--num_processes")), a.get("--num_processes"))
        put(FactName.NUM_MACHINES, "--num_machines", _int(a.get("--num_machines")), a.get("--num_machines"))
        mp = a.get("--mixed_precision")
        put(FactName.LAUNCH_MIXED_PRECISION, "--mixed_precision", mp.text if mp is not None else None, mp)
        put(FactName.LAUNCHER_GRAD_ACCUM, "--gradient_accumulation_steps", _int(a.get("--gradient_accumulation_steps")),
            a.get("--gradient_accumulation_steps"))
    elif launch.launcher in ("torchrun", "tune"):
        nproc, nnodes = a.get("--nproc_per_node"), a.get("--nnodes")
        per_node, nodes = _int(nproc), _int(nnodes) or 1
        if per_node is not None and nproc is not None:
            facts[FactName.NUM_PROCESSES] = _fact(FactName.NUM_PROCESSES, per_node * nodes, nproc, "--nproc_per_node", display, index)
            if nodes > 1 and nnodes is not None:
                facts[FactName.NUM_MACHINES] = _fact(FactName.NUM_MACHINES, nodes, nnodes, "--nnodes", display, index)
    elif launch.launcher == "deepspeed":
        gpus, nodes_w, hostfile = a.get("--num_gpus"), a.get("--num_nodes"), a.get("--hostfile") or a.get("-H")
        counted = _hostfile(hostfile, launch.script_path) if hostfile is not None else None
        if _int(gpus) is not None and gpus is not None:
            hosts = counted[0] if counted is not None and _int(nodes_w) is None else (_int(nodes_w) or 1)
            facts[FactName.NUM_PROCESSES] = _fact(FactName.NUM_PROCESSES, (_int(gpus) or 1) * hosts, gpus, "--num_gpus", display, index)
        elif counted is not None and hostfile is not None:
            # The runner uses every host of the hostfile and every slot on it (DeepSpeed launcher/runner.py).
            facts[FactName.NUM_PROCESSES] = _fact(FactName.NUM_PROCESSES, counted[1], hostfile, "--hostfile", display, index,
                                                  note=f"{counted[0]} hosts, {counted[1]} slots in {hostfile.text}")
    seen = visible_devices(launch)
    if seen is not None:
        value, start, end = seen
        count = len([p for p in value.split(",") if p.strip()])
        visible = replace(_fact(FactName.VISIBLE_DEVICES, count, Word(value, start, end), "CUDA_VISIBLE_DEVICES", display, index,
                                f"CUDA_VISIBLE_DEVICES={value}"), node=None)  # the variable is not a value fixes edit
        facts[FactName.VISIBLE_DEVICES] = visible
        if launch.launcher == "deepspeed":
            # The runner ignores (and unsets) CUDA_VISIBLE_DEVICES when the line picks GPUs itself (DeepSpeed launcher/runner.py).
            picker = next((f for f in ("--num_gpus", "--num_nodes", "--include", "-i", "--exclude", "-e") if f in a), None)
            word = _flag_word(launch, picker) if picker is not None and not (a.get("--hostfile") or a.get("-H")) else None
            if picker is not None and word is not None:
                facts[FactName.DEEPSPEED_IGNORES_VISIBLE] = _fact(FactName.DEEPSPEED_IGNORES_VISIBLE, picker, word, picker, display, index)
            elif picker is None and FactName.NUM_PROCESSES not in facts:
                facts[FactName.NUM_PROCESSES] = replace(visible, name=FactName.NUM_PROCESSES,
                                                        note=f"CUDA_VISIBLE_DEVICES={value}: the deepspeed launcher uses every visible GPU")
    if launch.launcher == "accelerate":
        facts.update(_accelerate_line(launch, display, index))
    if launch.program is not None and not launch.program.unresolved and launch.program.text.endswith(".py"):
        facts[FactName.TRAINING_PROGRAM] = _fact(FactName.TRAINING_PROGRAM, launch.program.text, launch.program, "training script",
                                                 display, index)
    return facts


# `accelerate launch` flags that set how the model states are sharded (they beat the accelerate file).
_ACCELERATE_SHARDING = (("--zero_stage", FactName.ZERO_STAGE), ("--offload_optimizer_device", FactName.OFFLOAD_OPTIMIZER),
                        ("--offload_param_device", FactName.OFFLOAD_PARAM), ("--zero3_save_16bit_model", FactName.ZERO3_SAVE_16BIT),
                        ("--fsdp_sharding_strategy", FactName.FSDP_SHARDING_STRATEGY),
                        ("--fsdp_reshard_after_forward", FactName.FSDP_RESHARD_AFTER_FORWARD),
                        ("--fsdp_offload_params", FactName.FSDP_OFFLOAD_PARAMS), ("--fsdp_state_dict_type", FactName.FSDP_STATE_DICT_TYPE))


def _flag_value(word: Word) -> object:
    text = word.text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    return {"true": True, "false": False}.get(text.lower(), text)


def _bare_word(launch: Launch, flag: str) -> Word | None:
    return next((w for w in launch.command.words if w.text == flag), None)


def _accelerate_sharding(launch: Launch, display: str, index: LineIndex, facts: dict[FactName, Fact[object]]) -> None:
    """The sharding settings of an `accelerate launch` line (`--use_deepspeed` itself is LAUNCH_PARADIGM)."""
    a = launch.launcher_args
    for flag, name in _ACCELERATE_SHARDING:
        word = a.get(flag)
        if word is not None and not word.unresolved:
            facts[name] = _fact(name, _flag_value(word), word, flag, display, index)


def _script_sharding(launch: Launch, display: str, index: LineIndex, facts: dict[FactName, Fact[object]]) -> None:
    """The training script's own sharding flags: the HF Trainer's `--deepspeed ds.json` and `--fsdp "full_shard
    auto_wrap"`, DeepSpeed-Chat / Megatron-DeepSpeed `--zero_stage N` (`--zero-stage`) and `--offload`."""
    args = launch.script_args
    word = args.get("--deepspeed")
    if word is not None and not word.unresolved and word.text.endswith(".json"):
        facts[FactName.DEEPSPEED_JSON] = _fact(FactName.DEEPSPEED_JSON, word.text, word, "--deepspeed", display, index)
    word = args.get("--fsdp")
    if word is not None and not word.unresolved:
        facts[FactName.TRAINER_FSDP] = _fact(FactName.TRAINER_FSDP, word.text, word, "--fsdp", display, index)
    for flag in ("--zero_stage", "--zero-stage"):
        word = args.get(flag)
        if word is not None and _int(word) is not None:
            facts[FactName.ZERO_STAGE] = _fact(FactName.ZERO_STAGE, _int(word), word, flag, display, index)
    if "--offload" in args:
        word = args["--offload"] or _bare_word(launch, "--offload")
        if word is not None:
            facts[FactName.OFFLOAD_OPTIMIZER] = _fact(FactName.OFFLOAD_OPTIMIZER, "cpu", word, "--offload", display, index)


# `accelerate launch` flags that choose the paradigm (they beat the file's distributed_type, accelerate-deepspeed.md §2.1 R1).
PARADIGM_FLAGS = {"--multi_gpu": "MULTI_GPU", "--use_deepspeed": "DEEPSPEED", "--use_fsdp": "FSDP", "--use_megatron_lm": "MEGATRON_LM",
                  "--tpu": "XLA", "--tpu_cluster": "XLA"}


def _flag_word(launch: Launch, flag: str) -> Word | None:
    """The word of a launcher flag on the line (bare flags have no value word)."""
    for word in launch.command.words:
        if word is launch.program:
            break
        name = word.text.split("=", 1)[0]
        if (name.replace("-", "_").replace("__", "--", 1) if name.startswith("--") else name) == flag:
            return word
    return None


def _accelerate_line(launch: Launch, display: str, index: LineIndex) -> dict[FactName, Fact[object]]:
    """The paradigm flag and `--fp8_backend` of an `accelerate launch` line, or, when the line names no
    config file, no process count, no paradigm and not `--cpu`, the word `accelerate` as the place where
    the machine's default config decides."""
    a = launch.launcher_args
    facts: dict[FactName, Fact[object]] = {}
    backend = a.get("--fp8_backend")
    if backend is not None and not backend.unresolved:
        facts[FactName.LAUNCH_FP8_BACKEND] = _fact(FactName.LAUNCH_FP8_BACKEND, backend.text, backend, "--fp8_backend", display, index)
    flags = [f for f in PARADIGM_FLAGS if f in a]
    if flags:
        word = _flag_word(launch, flags[0])
        if word is not None:
            facts[FactName.LAUNCH_PARADIGM] = _fact(FactName.LAUNCH_PARADIGM, PARADIGM_FLAGS[flags[0]], word, flags[0], display, index)
    elif not any(f in a for f in ("--config_file", "--num_processes", "--cpu", "--use_cpu")) and launch.command.words:
        head = next((w for w in launch.command.words if os.path.basename(w.text) == "accelerate" or w.text == "accelerate.commands.launch"),
                    launch.command.words[0])
        facts[FactName.ACCELERATE_DEFAULT_CONFIG] = _fact(FactName.ACCELERATE_DEFAULT_CONFIG, True, head, "accelerate launch", display, index)
    return facts


_CVD = re.compile(r"(?<![^\s;&|])(?:export[ \t]+)?CUDA_VISIBLE_DEVICES=(\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|#]*)", re.M)


def visible_devices(launch: Launch) -> tuple[str, int, int] | None:
    """CUDA_VISIBLE_DEVICES as the launch line sees it, set on the line or by the last exported assignment above
    it: (value, start, end of its text in the script), or None when unset or not a literal. A prefix
    (`CUDA_VISIBLE_DEVICES=0 cmd`) holds for its own command only; a plain `NAME=value` above the line reaches
    the launcher only once exported; an accelerate line's `--gpu_ids` replaces it."""
    if launch.launcher == "accelerate" and "--gpu_ids" in launch.launcher_args:
        return None
    text = launch.script.text
    words = launch.command.words
    first = words[0].start if words else 0
    line_start = 0
    for _ in range(launch.command.line - 1):  # the command's first line, where its `NAME=value` prefixes are
        line_start = text.index("\n", line_start) + 1
    own = list(_CVD.finditer(text, line_start, launch.program.start if launch.program is not None else first))

    def persists(m: re.Match[str]) -> bool:  # a statement of its own, not in a comment
        before = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
        after = text[m.end():].split("\n", 1)[0].strip()
        return "#" not in before and (after == "" or after.startswith((";", "#", "&&", "||")))

    def exported(m: re.Match[str]) -> bool:  # only the environment reaches the launcher
        return m.group(0).startswith("export") or re.search(r"(?m)^\s*export\s+CUDA_VISIBLE_DEVICES\s*(?:$|[;#])",
                                                             text[m.end():line_start]) is not None

    above = [m for m in _CVD.finditer(text, 0, line_start) if persists(m) and exported(m)]
    hit = own[-1] if own else above[-1] if above else None
    if hit is None:
        return None
    raw = hit.group(1)
    value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw
    if "$" in value or "`" in value:
        # Only a value the script reader expanded: the line's own prefix, or the script's last assignment.
        known = launch.command.env.get("CUDA_VISIBLE_DEVICES") if own else (
            launch.script.variables.get("CUDA_VISIBLE_DEVICES") if not any(persists(m) for m in _CVD.finditer(text, hit.end())) else None)
        if known is None or "$" in known or "`" in known:
            return None
        value = known
    return value, hit.start(1), hit.end(1)


_TORCH_OPTIMIZER = re.compile(r"\b(?:torch\.optim|bnb\.optim|bitsandbytes\.optim)\.(?!lr_scheduler\b)[A-Z]\w*")
_TORCH_SCHEDULER = re.compile(r"\b(?:get_scheduler|get_(?:cosine|linear|constant|polynomial)\w*_schedule\w*|torch\.optim\.lr_scheduler\.\w+)\s*\(")


def training_script_facts(launch: Launch, display: str) -> tuple[str | None, dict[FactName, Fact[object]]]:
    """The training script the line runs (its path, when it is there) and what it builds that a DeepSpeed JSON
    can also declare: a torch optimizer without `DummyOptim`, a scheduler without `DummyScheduler` — each a
    fact at the line of the script that builds it, when the script hands its objects to `prepare(`."""
    program = launch.program
    if program is None or program.unresolved or not program.text.endswith(".py"):
        return None, {}
    path = resolve_from_script(program.text, launch.script_path)
    if path is None:
        return None, {}
    from batchlint.loading.files import read_text

    try:
        code = read_text(path, 2_000_000, errors="replace", truncate=True)  # bounded, never blocks (loading/files.py)
    except OSError:
        return path, {}
    facts: dict[FactName, Fact[object]] = {}
    if "prepare(" not in code:
        return path, facts
    index = LineIndex(code)
    shown = display_path(path)
    for name, pattern, dummy in ((FactName.SCRIPT_OPTIMIZER, _TORCH_OPTIMIZER, "DummyOptim"),
                                 (FactName.SCRIPT_SCHEDULER, _TORCH_SCHEDULER, "DummyScheduler")):
        hit = pattern.search(code)
        if hit is None or dummy in code:
            continue
        built = hit.group(0).rstrip("(").strip()
        facts[name] = replace(_fact(name, built, Word(built, hit.start(), hit.start() + len(built)), program.text, shown, index),
                              node=None)
    return path, facts


def _hostfile(word: Word, script_path: str) -> tuple[int, int] | None:
    if word.unresolved:
        return None
    found = resolve_from_script(word.text, script_path)
    return read_hostfile(found) if found else None


def script_arg_facts(launch: Launch, display: str) -> dict[FactName, Fact[object]]:
    """The training script's own batch arguments (after the script name)."""
    index = LineIndex(launch.script.text)
    facts: dict[FactName, Fact[object]] = {}
    for name, flags in ((FactName.PER_DEVICE_BATCH, BATCH_FLAGS), (FactName.GRAD_ACCUM, ACCUM_FLAGS)):
        for flag in flags:
            word = launch.script_args.get(flag)
            if word is not None:
                value = _int(word) if re.fullmatch(r"\s*\d+\s*", word.text) else word.text
                facts[name] = _fact(name, value, word, flag, display, index)
                break
    _script_sharding(launch, display, index, facts)
    lr = launch.script_args.get("--learning_rate") or launch.script_args.get("--lr")
    if lr is not None and not lr.unresolved:
        try:
            facts[FactName.LEARNING_RATE] = _fact(FactName.LEARNING_RATE, float(lr.text), lr, "--learning_rate", display, index)
        except ValueError:
            pass
    if "--scale_lr" in launch.script_args:  # diffusers' scripts: a bare flag
        word = launch.script_args["--scale_lr"]
        value = True if word is None else word.text.lower() in ("true", "1", "yes")
        at = word or _bare_word(launch, "--scale_lr")
        if at is not None:
            facts[FactName.SCALE_LR] = _fact(FactName.SCALE_LR, value, at, "--scale_lr", display, index)
    mp = launch.script_args.get("--mixed_precision")
    if mp is not None:
        facts[FactName.MIXED_PRECISION] = _fact(FactName.MIXED_PRECISION, mp.text, mp, "--mixed_precision", display, index)
    else:
        for flag in ("--bf16", "--fp16"):
            if flag in launch.script_args:
                word = launch.script_args[flag]
                value = True if word is None else word.text.lower() in ("true", "1", "yes")
                span_word = word or next(w for w in launch.command.words if w.text.startswith(flag))
                facts[FactName.MIXED_PRECISION] = _fact(FactName.MIXED_PRECISION, value, span_word, flag, display, index)
                break
    return facts


def override_facts(launch: Launch, display: str, keys: Mapping[FactName, tuple[str, ...]],
                   facts: Mapping[FactName, Fact[object]]) -> dict[FactName, Fact[object]]:
    """OmegaConf / Hydra dot-list overrides on the launch line (`data.params.batch_size=8`,
    `+lightning.trainer.accumulate_grad_batches=4`) for the keys a run reads: the launcher merges
    them over the file, so they win. Matched on the dialect's key paths and on the path of the
    literal a fact was read from."""
    if not launch.overrides:
        return {}
    index = LineIndex(launch.script.text)
    out: dict[FactName, Fact[object]] = {}
    for name, paths in keys.items():
        known = facts.get(name)
        candidates = [*paths, *([known.key] if known is not None and known.origin == Origin.FILE and known.key else [])]
        for path in candidates:
            word = launch.overrides.get(path)
            if word is None or word.unresolved:
                continue
            value: object = int(word.text) if re.fullmatch(r"\d+", word.text) else word.text
            note = f"overrides {known.span.file}:{known.span.line} ({known.value})" if known is not None and known.span is not None else None
            out[name] = _fact(name, value, word, path, display, index, note)
            break
    return out
