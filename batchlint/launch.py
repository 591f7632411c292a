"""Launch lines in shell scripts: `accelerate launch`, `torchrun`, `deepspeed`, `tune run`,
`python train.py`, with the launcher's own flags (before the script) told apart from the training
script's arguments (after it). A launch links a training config (`--config`, `--config_file`, a
YAML argument) to its process count and accelerate config, so pairing works without settings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from batchlint.loading.nodes import Document, Scalar, Span
from batchlint.loading.nodes import Mapping as MappingNode
from batchlint.loading.shell import Command, Script, Word, read_script
from batchlint.loading.text import LineIndex
from batchlint.model import Fact, FactName, Origin
from batchlint.paths import Fence, display_path, fence_root, resolve_from_script

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import replace
else:
    from batchlint.record import replace

# Flags that take no value, per launcher (everything else starting with - takes one, unless written --flag=value).
_BARE = {
    "accelerate": {
        "--multi_gpu",
        "--use_deepspeed",
        "--use_fsdp",
        "--use_megatron_lm",
        "--cpu",
        "--tpu",
        "--tpu_cluster",
        "--debug",
        "--same_network",
        "--quiet",
        "-q",
        "--no_python",
        "--downcast_bf16",
        "--enable_cpu_affinity",
        "--use_parallelism_config",
        "--fp16",
        "--use_cpu",
        "--module",
        "-m",
        "--monitor_interval",
    },
    "torchrun": {"--standalone", "--no_python", "--no-python", "-m", "--module", "--run_path", "--run-path"},
    "deepspeed": {"--no_local_rank", "--no_python", "--module", "--force_multi", "--bind_cores_to_rank", "--enable_each_rank_log"},
    "tune": {"--ignore-remaining"},
    "python": {"-m", "-u", "-O", "-B"},
    "composer": {"--verbose", "-v", "--stdout", "--stderr"},
}
_MODULE_FLAGS = {"-m", "--module"}
CONFIG_FLAGS = (
    "--config",
    "--config_file",
    "--config-file",
    "--config_path",
    "--cfg",
    "-c",
    "--train_config",
    "--unet_config_path",
    "--configs",
    "--base",
    "-b",
    "--job.config_file",
    "--job.config-file",
    "--cfg_path",
    "--config-path",
)
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".py")
# Per-GPU batch flags, most specific first. `--train_batch_size` is global for RLHF trainers that
# take `--micro_train_batch_size` (OpenRLHF); Megatron spells the pair --micro-batch-size / --global-batch-size.
BATCH_FLAGS = (
    "--per_device_train_batch_size",
    "--per_gpu_train_batch_size",
    "--micro_train_batch_size",
    "--micro_batch_size",
    "--micro-batch-size",
    "--train_micro_batch_size_per_gpu",
    "--per_gpu_batch_size",
    "--batch_size_per_gpu",
    "--batch-size-per-gpu",
    "--train_bs",
    "--train_batch_size",
    "--train-batch-size",
    "--batch_size",
    "--batch-size",
    "--batch_size_training",
    "--bs",
)
GLOBAL_FLAGS = ("--global_batch_size", "--global-batch-size", "--global_train_batch_size")
ACCUM_FLAGS = (
    "--gradient_accumulation_steps",
    "--gradient-accumulation-steps",
    "--train_gradient_accumulation_steps",
    "--grad_accum",
    "--grad_accum_steps",
    "--grad-accum-steps",
    "--accumulate_grad_batches",
    "--gradient_accumulation",
    "--accumulation_steps",
    "--accumulation-steps",
    "--gradient_accumulate_every",  # lucidrains-style trainers, EasyContext
    "--gradient-accumulate-every",
    "--accum_iter",  # MAE / DeiT-style main_*.py
)
CHECKPOINT_FLAGS = (
    "--gradient_checkpointing",
    "--gradient-checkpointing",
    "--grad_checkpoint",
    "--grad_checkpointing",
    "--enable_gradient_checkpointing",
    "--activation_checkpointing",
    "--recompute-activations",
    "--checkpoint-activations",
    "--checkpoint_activations",
)
PARALLEL_FLAGS = (
    (FactName.TP_SIZE, ("--tensor-model-parallel-size", "--tensor_model_parallel_size", "--tp_size", "--tp-size", "--ds_tensor_parallel_size")),
    (FactName.PP_SIZE, ("--pipeline-model-parallel-size", "--pipeline_model_parallel_size", "--pp_size", "--pp-size")),
    (FactName.CP_SIZE, ("--context-parallel-size", "--context_parallel_size", "--cp_size", "--cp-size", "--ring_attn_size")),  # OpenRLHF: ring attention groups
)
DEEPSPEED_FLAGS = ("--deepspeed", "--deepspeed_config", "--deepspeed-config", "--deepspeed_config_file")


def _python_config(text: str) -> bool:
    """A Python config passed by position (`tools/train.py configs/det/faster_rcnn.py`): under a config folder."""
    return text.endswith(".py") and any("config" in part or part == "cfg" for part in text.split("/")[:-1])


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
        self.tasks: Tasks | None = None  # processes an srun / mpirun wrapper starts
        self.written: dict[str, str] = {}  # launcher flag as read (--nproc_per_node) -> as written (--nproc-per-node)
        self.words: list[Word] = []  # the launch's own words, out of their wrappers
        self.called_from: str | None = None  # the script that runs this one with arguments (its $1, $2, ... are known)
        self.fence: Fence | None = None  # what files the line names may be read from (Session.script_launches sets it)
        self.outside: dict[int, tuple[Word, str]] = {}  # word offset -> (the word, why it was not read): BL009

    def follows(self, found: str, word: Word, what: str) -> bool:
        """Whether a file this line names (`found`, resolved from `word`) may be read: inside the fence of
        the script (paths.Fence). A refused one is kept, with the message, for the run's finding."""
        fence = self.fence or Fence(fence_root(self.script_path))
        if fence.allows(found):
            return True
        self.outside[word.start] = (word, fence.refusal(what, word.text, found))
        return False

    def arg(self, *names: str) -> Word | None:
        for name in names:
            if name in self.script_args and self.script_args[name] is not None:
                return self.script_args[name]
        return None

    def training_config(self) -> Word | None:
        found = self.training_configs()
        return found[0] if found else None

    def training_configs(self) -> list[Word]:
        """Every config file the launch names: a config flag's value, a Hydra `--config-path` +
        `--config-name`, `config=x.yaml` (OmegaConf CLI), and config files among the positional
        arguments (`--base a.yaml b.yaml` merges several: later ones win)."""
        out: list[Word] = []
        name = self.arg("--config-name", "--config_name")
        if name is not None:
            base = self.arg("--config-path", "--config_path", "--config-dir")
            text = name.text if name.text.endswith((".yaml", ".yml")) else name.text + ".yaml"
            if base is not None:
                text = base.text.rstrip("/") + "/" + text
            out.append(Word(text, name.start, name.end, name.unresolved or (base is not None and base.unresolved), name.quoted))
        for flag in CONFIG_FLAGS:
            hit = self.script_args.get(flag)
            if hit is not None and hit.text.endswith(CONFIG_SUFFIXES) and hit.text != (self.program.text if self.program else ""):
                out.append(hit)
        for key in ("config", "cfg", "config_file"):
            hit = self.overrides.get(key)
            if hit is not None and hit.text.endswith(CONFIG_SUFFIXES):
                out.append(hit)
        out.extend(w for w in self.positional if w.text.endswith((".yaml", ".yml", ".toml")) or _python_config(w.text))
        return out


def _split_flag(words: list[Word], i: int, bare: set[str], hydra: bool = True) -> tuple[str, Word | None, int]:
    w = words[i]
    if "=" in w.text and w.text.startswith("-"):
        name, _, value = w.text.partition("=")
        offset = len(name) + 1
        return name, Word(value, w.start + offset if not w.unresolved else w.start, w.end, w.unresolved, w.quoted), i + 1
    if (
        w.text in bare or i + 1 >= len(words) or words[i + 1].text.startswith("--") or hydra and _is_override(words[i + 1].text)
    ):  # a Hydra override follows a bare flag
        return w.text, None, i + 1
    return w.text, words[i + 1], i + 2


_OVERRIDE_MARKS = str.maketrans("", "", "_.@/-")


def _is_override(text: str) -> bool:
    """Whether a word is a Hydra override, `^\\+?[A-Za-z_][\\w.@/-]*=` (`\\w` is what `str.isalnum` or "_" is): a
    key before the first "=", starting with an ASCII letter or "_" (after one optional "+")."""
    body = text[1:] if text.startswith("+") else text
    at = body.find("=")
    if at <= 0 or not (body[0] == "_" or body[0].isascii() and body[0].isalpha()):
        return False
    rest = body[1:at].translate(_OVERRIDE_MARKS)
    return rest == "" or rest.isalnum()


# Wrappers that run the command after them: (first word, second word or "", options that take a value).
_PREFIXES = {"exec", "nohup", "time", "sudo", "nice", "stdbuf", "numactl", "taskset", "command", "builtin"}
_RUNNERS = {
    ("uv", "run"): {"--with", "--python", "-p", "--project", "--extra", "--group", "--env-file", "--directory", "--package"},
    ("poetry", "run"): set(),
    ("pipenv", "run"): set(),
    ("pdm", "run"): set(),
    ("hatch", "run"): set(),
    ("rye", "run"): set(),
    ("pixi", "run"): {"-e", "--environment", "--manifest-path"},
    ("conda", "run"): {"-n", "--name", "-p", "--prefix", "--cwd"},
    ("mamba", "run"): {"-n", "--name", "-p", "--prefix"},
    ("micromamba", "run"): {"-n", "--name", "-p", "--prefix"},
}
_SRUN_VALUE = {
    "-N",
    "-n",
    "-c",
    "-G",
    "-w",
    "-p",
    "-t",
    "-J",
    "-o",
    "-e",
    "-A",
    "-q",
    "--nodes",
    "--ntasks",
    "--ntasks-per-node",
    "--gpus",
    "--gpus-per-node",
    "--gpus-per-task",
    "--cpus-per-task",
    "--container-image",
    "--container-mounts",
    "--container-workdir",
    "--container-name",
    "--mpi",
    "--partition",
    "--time",
    "--job-name",
    "--output",
    "--error",
    "--export",
    "--nodelist",
    "--gres",
    "--mem",
    "--account",
    "--qos",
    "--distribution",
    "--cpu-bind",
    "--gpu-bind",
    "--network",
    "--het-group",
    "--jobid",
    "--mem-per-gpu",
    "--ntasks-per-gpu",
    "--chdir",
    "-D",
}
_MPI_VALUE = {
    "-np",
    "-n",
    "--np",
    "-c",
    "-N",
    "--npernode",
    "-H",
    "--host",
    "-x",
    "--hostfile",
    "-hostfile",
    "--bind-to",
    "--map-by",
    "-bind-to",
    "-map-by",
    "--rank-by",
    "-wdir",
    "--prefix",
    "-ppn",
    "-f",
    "-genv",
}
_MPI_TWO = {"-mca", "--mca", "-gmca", "--gmca"}
# Trainer CLIs that start torchrun themselves, with NPROC_PER_NODE × NNODES from the environment.
_TRAINER_CLIS = {("llamafactory-cli", "train"), ("axolotl", "train"), ("swift", "sft"), ("swift", "pt"), ("swift", "rlhf"), ("swift", "dpo"), ("lmf", "train")}


class Tasks:
    """The processes an MPI-style wrapper starts (`srun --ntasks 8`, `mpirun -np 8`), one per task."""

    __slots__ = ("count", "word", "flag")

    def __init__(self, count: int | None, word: Word | None, flag: str) -> None:
        self.count = count
        self.word = word
        self.flag = flag


def _srun_tasks(opts: dict[str, Word | None], variables: Mapping[str, str]) -> Tasks:
    """What `srun` starts: --ntasks, else --nodes × --ntasks-per-node, else the job's #SBATCH values."""
    ntasks = opts.get("--ntasks") or opts.get("-n")
    if ntasks is not None:
        return Tasks(_int(ntasks), ntasks, "--ntasks")
    per_node = opts.get("--ntasks-per-node")
    nodes = opts.get("--nodes") or opts.get("-N")
    sb_tasks = variables.get("SLURM_NTASKS")
    sb_per_node = variables.get("SLURM_NTASKS_PER_NODE")
    sb_nodes = variables.get("SLURM_NNODES")
    n_nodes = _int(nodes) if nodes is not None else (int(sb_nodes) if sb_nodes and sb_nodes.isdigit() else None)
    n_per = _int(per_node) if per_node is not None else (int(sb_per_node) if sb_per_node and sb_per_node.isdigit() else None)
    if per_node is not None or nodes is not None:
        count = n_per * (n_nodes or 1) if n_per is not None else None
        return Tasks(count, per_node or nodes, "--ntasks-per-node")
    if sb_tasks and sb_tasks.isdigit():
        return Tasks(int(sb_tasks), None, "#SBATCH --ntasks")
    if n_per is not None:
        return Tasks(n_per * (n_nodes or 1), None, "#SBATCH --ntasks-per-node")
    return Tasks(None, None, "srun")


def _options(words: list[Word], i: int, with_value: set[str], two: set[str] = frozenset()) -> tuple[dict[str, Word | None], int]:  # type: ignore[assignment]
    """A wrapper's own options from words[i]; returns them and where its command starts."""
    opts: dict[str, Word | None] = {}
    while i < len(words) and words[i].text.startswith("-") and words[i].text != "--":
        w = words[i]
        if "=" in w.text and w.text.startswith("--"):
            name, _, value = w.text.partition("=")
            opts[name] = Word(value, w.start + len(name) + 1 if not w.unresolved else w.start, w.end, w.unresolved, w.quoted)
            i += 1
        elif w.text in two:
            i += 3
        elif w.text in with_value and i + 1 < len(words):
            opts[w.text] = words[i + 1]
            i += 2
        else:
            opts[w.text] = None
            i += 1
    if i < len(words) and words[i].text == "--":
        i += 1
    return opts, i


def unwrap(words: list[Word], text: str, variables: Mapping[str, str]) -> tuple[list[Word], Tasks | None]:
    """The launch command inside wrappers (`srun ...`, `mpirun -np 8`, `uv run`, `conda run -n env`,
    `eval "$CMD"`, `bash -c "..."`, `env X=1`, `ray job submit -- ...`), and the tasks an MPI-style
    wrapper starts."""
    from batchlint.loading.shell import split_word

    tasks: Tasks | None = None
    words = [w for w in words if w.text or w.quoted]  # an empty unquoted expansion is no word at all
    for _ in range(16):
        if not words:
            break
        head = os.path.basename(words[0].text)
        second = words[1].text if len(words) > 1 else ""
        if "=" in words[0].text and not words[0].text.startswith("-") and re.match(r"^[A-Za-z_]\w*=", words[0].text):
            words = words[1:]  # VAR=value before the command (after `env`, or inside an eval'd string)
        elif head in _PREFIXES or head == "env":
            words = words[1:]
            while words and words[0].text.startswith("-") and words[0].text != "--":
                words = words[2:] if words[0].text in ("-n", "-u", "-C", "-c", "--cpunodebind", "--membind") else words[1:]
        elif head == "eval" or (head in ("bash", "sh", "zsh") and any(w.text == "-c" for w in words[1:3])):
            if head == "eval":
                rest = words[1:]
            else:
                k = next(k for k, w in enumerate(words) if w.text == "-c")
                rest = words[k + 1 : k + 2]
            if len(rest) == 1 and (" " in rest[0].text.strip() or "\n" in rest[0].text):
                segments = split_word(text, rest[0], variables)
                # The command that launches: the last one whose first word is a launcher or a wrapper.
                words = next((s for s in reversed(segments) if os.path.basename(s[0].text) in _LAUNCH_HEADS | _WRAPPER_HEADS), segments[-1] if segments else [])
            else:
                words = [piece for w in rest for seg in (split_word(text, w, variables) if " " in w.text.strip() else [[w]]) for piece in seg]
        elif head == "srun":
            opts, i = _options(words, 1, _SRUN_VALUE)
            tasks = _srun_tasks(opts, variables)
            words = words[i:]
        elif head in ("mpirun", "mpiexec", "orterun"):
            opts, i = _options(words, 1, _MPI_VALUE, _MPI_TWO)
            np = opts.get("-np") or opts.get("-n") or opts.get("--np")
            tasks = Tasks(_int(np), np, "-np") if np is not None else Tasks(None, None, head)
            words = words[i:]
        elif (head, second) in _RUNNERS:
            _, i = _options(words, 2, _RUNNERS[(head, second)])
            words = words[i:]
        elif head in ("ray", "gantry", "sky", "dstack") and any(w.text == "--" for w in words):
            words = words[next(k for k, w in enumerate(words) if w.text == "--") + 1 :]
        else:
            break
    return words, tasks


_LAUNCH_HEADS = {"accelerate", "torchrun", "deepspeed", "python", "python3", "tune", "llamafactory-cli", "swift", "axolotl", "composer"}
_WRAPPER_HEADS = {"srun", "mpirun", "mpiexec", "env", "uv", "conda", "poetry", "nsys", "eval", *_PREFIXES}


def parse_launch(path: str, script: Script, command: Command) -> Launch | None:
    words, tasks = unwrap(list(command.words), script.text, script.variables)
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
    elif len(words) > 1 and (head, words[1].text) in _TRAINER_CLIS:
        # The trainer's own CLI: everything after the subcommand is a training argument.
        launch = Launch(path, script, command, "trainer-cli")
        launch.program = words[1]
        launch.tasks = tasks
        launch.words = words
        _script_args(launch, words, 2)
        return launch
    elif head == "composer" and len(words) > 1:
        launcher, i = "composer", 1
    elif re.fullmatch(r"python[\d.]*", head):
        while len(words) > 2 and words[1].text in ("-u", "-O", "-OO", "-B", "-E", "-s", "-S", "-I"):
            words = [words[0], *words[2:]]  # interpreter options before `-m`
        if len(words) > 2 and words[1].text == "-m" and words[2].text in ("torch.distributed.run", "torch.distributed.launch"):
            launcher, i = "torchrun", 3
        elif len(words) > 2 and words[1].text == "-m" and words[2].text == "accelerate.commands.launch":
            launcher, i = "accelerate", 3
        else:
            # `python launcher.py --nodes 2 -- accelerate launch train.py`: the launch after `--`.
            cut = next((k for k, w in enumerate(words) if w.text == "--" and k + 1 < len(words)), None)
            if cut is not None and os.path.basename(words[cut + 1].text) in _LAUNCH_HEADS:
                return parse_launch(path, script, Command(words[cut + 1 :], command.env, command.line))
            launcher, i = "python", 1
    else:
        return None
    launch = Launch(path, script, command, launcher)
    launch.tasks = tasks
    launch.words = words
    bare = _BARE[launcher]
    while i < len(words):
        w = words[i]
        if not w.text.startswith("-"):
            launch.program = w
            i += 1
            break
        name, value, i = _split_flag(words, i, bare, hydra=False)
        if name in _MODULE_FLAGS and value is None and i < len(words):
            launch.program = words[i]
            i += 1
            break
        key = name.replace("-", "_").replace("__", "--", 1) if name.startswith("--") else name
        launch.launcher_args[key] = value
        launch.written[key] = name
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


_SCRIPT_NAMES = (".sh", ".bash")


def launches(path: str, text: str, positional: list[tuple[str, bool]] | None = None, depth: int = 0) -> list[Launch]:
    """The launch lines of a script, and those of the scripts it runs with arguments (a job wrapper's
    `gantry run ... -- bash -c "launch.sh $NODES"`), read with those arguments as their $1, $2, ..."""
    script = read_script(text, positional)
    out = []
    for command in script.commands:
        launch = parse_launch(path, script, command)
        if launch is not None:
            out.append(launch)
        elif depth < 2:
            out.extend(_called_script(path, script, command, depth))
    return out


def _called_script(path: str, script: Script, command: Command, depth: int) -> list[Launch]:
    """The launches of another script of the project this command runs (`./launch.sh 16`, `bash launch.sh 16`)."""
    words, _ = unwrap(list(command.words), script.text, script.variables)
    if words and os.path.basename(words[0].text) in ("bash", "sh") and len(words) > 1 and not words[1].text.startswith("-"):
        words = words[1:]
    if not words or words[0].unresolved or not words[0].text.endswith(_SCRIPT_NAMES):
        return []
    callee = resolve_from_script(words[0].text, path)
    if callee is None or os.path.abspath(callee) == os.path.abspath(path) or not Fence(fence_root(path)).allows(callee):
        return []  # (a script outside the project is not read: the project fence)
    from batchlint.loading.files import read_text

    try:
        text = read_text(callee, errors="replace")
    except OSError:
        return []
    found = launches(callee, text, [(w.text, w.unresolved) for w in words[1:]], depth + 1)
    for launch in found:
        launch.called_from = launch.called_from or path
    return found


def _int(word: Word | None) -> int | None:
    if word is None or word.unresolved:
        return None
    text = word.text.lstrip()  # `^\s*(\d+)`: `\s` is what `str.isspace` is, `\d` what `str.isdecimal` is
    end = 0
    while end < len(text) and text[end].isdecimal():
        end += 1
    return int(text[:end]) if end else None


def _fact(name: FactName, value: object, word: Word, key: str, path: str, index: LineIndex, note: str | None = None) -> Fact[object]:
    line, col = index.position(word.start)
    end_line, end_col = index.position(word.end)
    span = Span(path, line, col, end_line, end_col, word.start, word.end)
    # The flag's value as a scalar, so that fixes edit it in place like a value in a YAML file.
    raw = index.text[word.start : word.end]
    style = raw[0] if raw[:1] in ("'", '"') and raw[-1:] == raw[:1] else ""
    node = Scalar(span, word.text, "tag:yaml.org,2002:str", style, value) if not word.unresolved else None
    return Fact(name, value, Origin.SCRIPT, key, span, node, note=note)


def word_fact(name: FactName, word: Word, launch: Launch, display: str, **extra: object) -> Fact[object]:
    """A fact at one word of the launch line (its flag as the key)."""
    index = LineIndex(launch.script.text)
    flag = next((k for k, v in [*launch.script_args.items(), *launch.launcher_args.items()] if v is word), word.text)
    fact = _fact(name, word.text, word, flag, display, index)
    return replace(fact, **extra)  # type: ignore[arg-type]


def launch_facts(launch: Launch, display: str) -> dict[FactName, Fact[object]]:
    """What the launch line says about processes, machines and the launcher's own settings."""
    index = LineIndex(launch.script.text)
    facts: dict[FactName, Fact[object]] = {}
    a = launch.launcher_args

    def put(name: FactName, flag: str, value: object | None, word: Word | None) -> None:
        if value is not None and word is not None:
            facts[name] = _fact(name, value, word, launch.written.get(flag, flag), display, index)

    if launch.launcher == "accelerate":
        _accelerate_sharding(launch, display, index, facts)
        put(FactName.NUM_PROCESSES, "--num_processes", _int(a.get("--num_processes")), a.get("--num_processes"))
        put(FactName.NUM_MACHINES, "--num_machines", _int(a.get("--num_machines")), a.get("--num_machines"))
        mp = a.get("--mixed_precision")
        put(FactName.LAUNCH_MIXED_PRECISION, "--mixed_precision", mp.text if mp is not None else None, mp)
        put(FactName.LAUNCHER_GRAD_ACCUM, "--gradient_accumulation_steps", _int(a.get("--gradient_accumulation_steps")), a.get("--gradient_accumulation_steps"))
    elif launch.launcher in ("torchrun", "tune"):
        nproc, nnodes = a.get("--nproc_per_node"), a.get("--nnodes")
        per_node, nodes = _int(nproc), _int(nnodes) if nnodes is not None else 1
        if nnodes is not None:
            written = launch.script.text[nnodes.start : nnodes.end]
            written = (written.split("=", 1)[1] if written.startswith("-") and "=" in written else written).strip("'\"")
            facts[FactName.NUM_MACHINES] = _fact(
                FactName.NUM_MACHINES,
                nodes if nodes is not None else written,
                nnodes,
                launch.written.get("--nnodes", "--nnodes"),
                display,
                index,
                note=None if nodes is not None else f"--nnodes {nnodes.text}: set when the script runs",
            )
        if per_node is not None and nproc is not None and nodes is not None:
            facts[FactName.NUM_PROCESSES] = _fact(
                FactName.NUM_PROCESSES, per_node * nodes, nproc, launch.written.get("--nproc_per_node", "--nproc_per_node"), display, index
            )
    elif launch.launcher == "deepspeed":
        gpus, nodes_w, hostfile = a.get("--num_gpus"), a.get("--num_nodes"), a.get("--hostfile") or a.get("-H")
        counted = _hostfile(hostfile, launch) if hostfile is not None else None
        include = a.get("--include") or a.get("-i")
        slots = _include_slots(include)
        if _int(gpus) is not None and gpus is not None:
            hosts = counted[0] if counted is not None and _int(nodes_w) is None else (_int(nodes_w) or 1)
            facts[FactName.NUM_PROCESSES] = _fact(FactName.NUM_PROCESSES, (_int(gpus) or 1) * hosts, gpus, "--num_gpus", display, index)
        elif slots is not None and include is not None:
            # `--include localhost:0,1@worker-1:0,1`: the runner starts one process per listed slot (it filters a hostfile too).
            flag = "--include" if "--include" in a else "-i"
            facts[FactName.NUM_PROCESSES] = _fact(
                FactName.NUM_PROCESSES, slots, include, launch.written.get(flag, flag), display, index, note=f"{slots} GPUs listed by {flag} {include.text}"
            )
        elif counted is not None and hostfile is not None:
            # The runner uses every host of the hostfile and every slot on it (DeepSpeed launcher/runner.py).
            facts[FactName.NUM_PROCESSES] = _fact(
                FactName.NUM_PROCESSES, counted[1], hostfile, "--hostfile", display, index, note=f"{counted[0]} hosts, {counted[1]} slots in {hostfile.text}"
            )
    elif launch.launcher == "composer":
        n = a.get("-n") or a.get("--nproc")
        put(FactName.NUM_PROCESSES, "-n", _int(n), n)
    elif launch.launcher == "trainer-cli":
        env = {**launch.script.variables, **launch.command.env}
        per_gpu, node_count = env.get("NPROC_PER_NODE", ""), env.get("NNODES", "1")
        if per_gpu.isdigit() and node_count.isdigit():
            facts[FactName.NUM_PROCESSES] = Fact(
                FactName.NUM_PROCESSES,
                int(per_gpu) * int(node_count),
                Origin.SCRIPT,
                "NPROC_PER_NODE",
                note=f"NPROC_PER_NODE={per_gpu} × NNODES={node_count}: the trainer's CLI starts torchrun",
            )
    if launch.launcher == "python" and launch.tasks is not None and launch.tasks.count is not None:
        # `srun python train.py` / `mpirun -np 8 python train.py`: one training process per task.
        tasks = launch.tasks
        if tasks.word is not None and not tasks.word.unresolved:
            facts[FactName.NUM_PROCESSES] = _fact(
                FactName.NUM_PROCESSES, tasks.count, tasks.word, tasks.flag, display, index, note=f"{tasks.count} tasks, one training process each"
            )
        else:
            facts[FactName.NUM_PROCESSES] = Fact(
                FactName.NUM_PROCESSES, tasks.count, Origin.SCRIPT, tasks.flag, note=f"{tasks.count} tasks ({tasks.flag}), one training process each"
            )
    if FactName.NUM_PROCESSES not in facts and launch.launcher == "torchrun":
        seen_gpus = visible_devices(launch)
        nproc = a.get("--nproc_per_node")
        if seen_gpus is not None and nproc is not None and nproc.text in ("gpu", "auto") and (_int(a.get("--nnodes")) or 1) == 1:
            count = len([p for p in seen_gpus[0].split(",") if p.strip()])
            facts[FactName.NUM_PROCESSES] = Fact(
                FactName.NUM_PROCESSES,
                count,
                Origin.SCRIPT,
                "CUDA_VISIBLE_DEVICES",
                note=f"--nproc_per_node {nproc.text}: one process per visible GPU ({seen_gpus[0]})",
            )
    seen = visible_devices(launch)
    if FactName.NUM_PROCESSES not in facts and launch.launcher == "python" and launch.tasks is None and seen is not None:
        devices = [p for p in seen[0].split(",") if p.strip()]
        if len(devices) == 1 and devices[0].strip().isdigit():
            # `CUDA_VISIBLE_DEVICES=6 python train.py`: a plain interpreter that sees one GPU trains on one process.
            facts[FactName.NUM_PROCESSES] = replace(
                _fact(FactName.NUM_PROCESSES, 1, Word(seen[0], seen[1], seen[2]), "CUDA_VISIBLE_DEVICES", display, index),
                node=None,
                note=f"plain python with CUDA_VISIBLE_DEVICES={seen[0]}: one visible GPU, one training process",
            )
    if seen is not None:
        value, start, end = seen
        count = len([p for p in value.split(",") if p.strip()])
        visible = replace(
            _fact(FactName.VISIBLE_DEVICES, count, Word(value, start, end), "CUDA_VISIBLE_DEVICES", display, index, f"CUDA_VISIBLE_DEVICES={value}"), node=None
        )  # the variable is not a value fixes edit
        facts[FactName.VISIBLE_DEVICES] = visible
        if launch.launcher == "deepspeed":
            # The runner ignores (and unsets) CUDA_VISIBLE_DEVICES when the line picks GPUs itself (DeepSpeed launcher/runner.py).
            picker = next((f for f in ("--num_gpus", "--num_nodes", "--include", "-i", "--exclude", "-e") if f in a), None)
            word = _flag_word(launch, picker) if picker is not None and not (a.get("--hostfile") or a.get("-H")) else None
            if picker is not None and word is not None:
                facts[FactName.DEEPSPEED_IGNORES_VISIBLE] = _fact(FactName.DEEPSPEED_IGNORES_VISIBLE, picker, word, picker, display, index)
            elif picker is None and FactName.NUM_PROCESSES not in facts:
                facts[FactName.NUM_PROCESSES] = replace(
                    visible, name=FactName.NUM_PROCESSES, note=f"CUDA_VISIBLE_DEVICES={value}: the deepspeed launcher uses every visible GPU"
                )
    actor_gpus = launch.script_args.get("--actor_num_gpus_per_node")
    actor_nodes_word = launch.script_args.get("--actor_num_nodes")
    actor_nodes = _int(actor_nodes_word) if actor_nodes_word is not None else 1
    if (
        FactName.NUM_PROCESSES not in facts
        and launch.launcher == "python"
        and actor_gpus is not None
        and _int(actor_gpus) is not None
        and actor_nodes is not None
    ):
        # OpenRLHF's Ray trainers (`ray job submit -- python -m openrlhf.cli.train_ppo_ray`) place the trained actor on
        # --actor_num_nodes × --actor_num_gpus_per_node GPUs: its data-parallel ranks.
        count = (_int(actor_gpus) or 1) * actor_nodes
        facts[FactName.NUM_PROCESSES] = _fact(
            FactName.NUM_PROCESSES,
            count,
            actor_gpus,
            "--actor_num_gpus_per_node",
            display,
            index,
            note=f"the actor's {actor_nodes} × {actor_gpus.text} GPUs (Ray placement)",
        )
    if launch.launcher == "accelerate":
        facts.update(_accelerate_line(launch, display, index))
    if launch.program is not None and not launch.program.unresolved and launch.program.text.endswith(".py"):
        facts[FactName.TRAINING_PROGRAM] = _fact(FactName.TRAINING_PROGRAM, launch.program.text, launch.program, "training script", display, index)
    return facts


# `accelerate launch` flags that set how the model states are sharded (they beat the accelerate file).
_ACCELERATE_SHARDING = (
    ("--zero_stage", FactName.ZERO_STAGE),
    ("--offload_optimizer_device", FactName.OFFLOAD_OPTIMIZER),
    ("--offload_param_device", FactName.OFFLOAD_PARAM),
    ("--zero3_save_16bit_model", FactName.ZERO3_SAVE_16BIT),
    ("--fsdp_sharding_strategy", FactName.FSDP_SHARDING_STRATEGY),
    ("--fsdp_reshard_after_forward", FactName.FSDP_RESHARD_AFTER_FORWARD),
    ("--fsdp_offload_params", FactName.FSDP_OFFLOAD_PARAMS),
    ("--fsdp_state_dict_type", FactName.FSDP_STATE_DICT_TYPE),
)


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
PARADIGM_FLAGS = {
    "--multi_gpu": "MULTI_GPU",
    "--use_deepspeed": "DEEPSPEED",
    "--use_fsdp": "FSDP",
    "--use_megatron_lm": "MEGATRON_LM",
    "--tpu": "XLA",
    "--tpu_cluster": "XLA",
}


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
        head = next(
            (w for w in launch.command.words if os.path.basename(w.text) == "accelerate" or w.text == "accelerate.commands.launch"), launch.command.words[0]
        )
        facts[FactName.ACCELERATE_DEFAULT_CONFIG] = _fact(FactName.ACCELERATE_DEFAULT_CONFIG, True, head, "accelerate launch", display, index)
    return facts


# Launch-line patterns are compiled at their first use (re's own cache keeps them), each only where the text
# holds what it cannot match without.
_CVD = "CUDA_VISIBLE_DEVICES="


def _assignments(text: str, pos: int, endpos: int) -> list[tuple[int, int, int, bool]]:
    """Each `CUDA_VISIBLE_DEVICES=value` statement in text[pos:endpos], as `finditer` over
    `(?<![^\\s;&|])(?:export[ \\t]+)?CUDA_VISIBLE_DEVICES=("[^"\\n]*"|'[^'\\n]*'|[^\\s;&|#]*)` finds them (`\\s` is
    what `str.isspace` is; the character before `pos` counts): (start, value start, end, exported)."""
    out: list[tuple[int, int, int, bool]] = []
    at = pos
    while True:
        name = text.find(_CVD, at, endpos)
        if name < 0:
            return out
        blank = name
        while blank > at and text[blank - 1] in " \t":
            blank -= 1
        exported = blank < name and blank - 6 >= at and text.startswith("export", blank - 6) and _statement_starts(text, blank - 6)
        if not exported and not _statement_starts(text, name):
            at = name + 1
            continue
        value = name + len(_CVD)
        end = value
        quote = text[value] if value < endpos else ""
        close = text.find(quote, value + 1, endpos) if quote in ("'", '"') else -1
        if close >= 0 and "\n" not in text[value + 1 : close]:
            end = close + 1
        else:
            while end < endpos and not text[end].isspace() and text[end] not in ";&|#":
                end += 1
        out.append((blank - 6 if exported else name, value, end, exported))
        at = end


def _statement_starts(text: str, at: int) -> bool:
    """`(?<![^\\s;&|])` at `at`: the text's start, or after a blank, `;`, `&` or `|`."""
    return at == 0 or text[at - 1].isspace() or text[at - 1] in ";&|"


def visible_devices(launch: Launch) -> tuple[str, int, int] | None:
    """CUDA_VISIBLE_DEVICES as the launch line sees it, set on the line or by the last exported assignment above
    it: (value, start, end of its text in the script), or None when unset or not a literal. A prefix
    (`CUDA_VISIBLE_DEVICES=0 cmd`) holds for its own command only; a plain `NAME=value` above the line reaches
    the launcher only once exported; an accelerate line's `--gpu_ids` replaces it."""
    if launch.launcher == "accelerate" and "--gpu_ids" in launch.launcher_args:
        return None
    text = launch.script.text
    if "CUDA_VISIBLE_DEVICES=" not in text:
        return None
    words = launch.command.words
    first = words[0].start if words else 0
    line_start = 0
    for _ in range(launch.command.line - 1):  # the command's first line, where its `NAME=value` prefixes are
        line_start = text.index("\n", line_start) + 1
    own = _assignments(text, line_start, launch.program.start if launch.program is not None else first)

    def persists(m: tuple[int, int, int, bool]) -> bool:  # a statement of its own, not in a comment
        before = text[text.rfind("\n", 0, m[0]) + 1 : m[0]]
        after = text[m[2] :].split("\n", 1)[0].strip()
        return "#" not in before and (after == "" or after.startswith((";", "#", "&&", "||")))

    def exported(m: tuple[int, int, int, bool]) -> bool:  # only the environment reaches the launcher
        return m[3] or re.search(r"(?m)^\s*export\s+CUDA_VISIBLE_DEVICES\s*(?:$|[;#])", text[m[2] : line_start]) is not None

    above = [m for m in _assignments(text, 0, line_start) if persists(m) and exported(m)]
    hit = own[-1] if own else above[-1] if above else None
    if hit is None:
        return None
    raw = text[hit[1] : hit[2]]
    value = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw
    if "$" in value or "`" in value:
        # Only a value the script reader expanded: the line's own prefix, or the script's last assignment.
        known = (
            launch.command.env.get("CUDA_VISIBLE_DEVICES")
            if own
            else (launch.script.variables.get("CUDA_VISIBLE_DEVICES") if not any(persists(m) for m in _assignments(text, hit[2], len(text))) else None)
        )
        if known is None or "$" in known or "`" in known:
            return None
        value = known
    return value, hit[1], hit[2]


_TORCH_OPTIMIZER = r"\b(?:torch\.optim|bnb\.optim|bitsandbytes\.optim)\.(?!lr_scheduler\b)[A-Z]\w*"
_TORCH_SCHEDULER = r"\b(?:get_scheduler|get_(?:cosine|linear|constant|polynomial)\w*_schedule\w*|torch\.optim\.lr_scheduler\.\w+)\s*\("


def training_script_facts(launch: Launch, display: str) -> tuple[str | None, dict[FactName, Fact[object]]]:
    """The training script the line runs (its path, when it is there) and what it builds that a DeepSpeed JSON
    can also declare: a torch optimizer without `DummyOptim`, a scheduler without `DummyScheduler` — each a
    fact at the line of the script that builds it, when the script hands its objects to `prepare(`."""
    program = launch.program
    if program is None or program.unresolved or not program.text.endswith(".py"):
        return None, {}
    path = resolve_from_script(program.text, launch.script_path)
    if path is None or not launch.follows(path, program, "training script"):
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
    for name, pattern, dummy in ((FactName.SCRIPT_OPTIMIZER, _TORCH_OPTIMIZER, "DummyOptim"), (FactName.SCRIPT_SCHEDULER, _TORCH_SCHEDULER, "DummyScheduler")):
        hit = re.search(pattern, code)
        if hit is None or dummy in code:
            continue
        built = hit.group(0).rstrip("(").strip()
        facts[name] = replace(_fact(name, built, Word(built, hit.start(), hit.start() + len(built)), program.text, shown, index), node=None)
    return path, facts


def _include_slots(word: Word | None) -> int | None:
    """The GPUs a DeepSpeed `--include` names, `host:slot,slot@host:slot` (DeepSpeed launcher/runner.py
    parse_resource_filter); None when a host is named without its slots (all of them) or the value is unknown."""
    if word is None or word.unresolved:
        return None
    total = 0
    for part in word.text.strip("'\"").split("@"):
        host, sep, slots = part.partition(":")
        listed = [s for s in slots.split(",") if s.strip()]
        if not host.strip() or not sep or not listed or not all(s.strip().isdigit() for s in listed):
            return None
        total += len(set(listed))
    return total or None


def program_defaults(launch: Launch, given: Mapping[FactName, Fact[object]]) -> dict[FactName, Fact[object]]:
    """The training script's own defaults for the batch flags the launch line leaves out
    (`parser.add_argument("--train_batch_size", type=int, default=4)`), read with `ast`, never run."""
    program = launch.program
    wanted = [(n, flags) for n, flags in ((FactName.PER_DEVICE_BATCH, BATCH_FLAGS), (FactName.GRAD_ACCUM, ACCUM_FLAGS)) if n not in given]
    if program is None or program.unresolved or not program.text.endswith(".py") or not wanted:
        return {}
    path = resolve_from_script(program.text, launch.script_path)
    if path is None or not launch.follows(path, program, "training script"):
        return {}
    import ast

    from batchlint.loading.files import read_text

    try:
        code = read_text(path, 2_000_000, errors="replace", truncate=True)
        tree = ast.parse(code) if "add_argument" in code else None
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    defaults: dict[str, ast.Constant] = {}
    for node in ast.walk(tree) if tree is not None else ():
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
            continue
        default = next((k.value for k in node.keywords if k.arg == "default"), None)
        if isinstance(default, ast.Constant) and type(default.value) is int and default.value > 0:
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    defaults.setdefault(arg.value, default)
    index = LineIndex(code)
    shown = display_path(path)
    out: dict[FactName, Fact[object]] = {}
    for name, flags in wanted:
        flag = next((f for f in flags if f in defaults and not (f == "--train_batch_size" and "--micro_train_batch_size" in defaults)), None)
        if flag is None:
            continue
        const = defaults[flag]
        note = f"no {flag} on the launch line: the default of {os.path.basename(path)}"
        out[name] = Fact(name, const.value, Origin.DEFAULT, flag, _literal_span(index, const, shown), note=note)
    return out


def _literal_span(index: LineIndex, const: object, shown: str) -> Span:
    """Where an `ast` literal sits (its column is in UTF-8 bytes)."""
    import ast

    assert isinstance(const, ast.Constant)

    def offset(line: int, byte_col: int) -> int:
        return index.starts[line - 1] + len(index.line_text(line).encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    start = offset(const.lineno, const.col_offset)
    end = offset(const.end_lineno or const.lineno, const.end_col_offset or const.col_offset)
    line, col = index.position(start)
    end_line, end_col = index.position(end)
    return Span(shown, line, col, end_line, end_col, start, end)


def keyword_literals(path: str) -> dict[str, tuple[int, Span]]:
    """The integer literals a Python script passes by keyword (`TokensArgs(micro_batch_size=2)`), first
    of each name, read with `ast`, never run: what a script that writes a config puts in it."""
    import ast

    from batchlint.loading.files import read_text

    try:
        code = read_text(path, 2_000_000, errors="replace", truncate=True)
        tree = ast.parse(code)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    index = LineIndex(code)
    shown = display_path(path)
    out: dict[str, tuple[int, Span]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg and isinstance(value, ast.Constant) and type(value.value) is int and keyword.arg not in out:
                    out[keyword.arg] = (value.value, _literal_span(index, value, shown))
    return out


def _hostfile(word: Word, launch: Launch) -> tuple[int, int] | None:
    if word.unresolved:
        return None
    from batchlint.loading.hostfile import read_hostfile  # (a launch line naming a hostfile)

    found = resolve_from_script(word.text, launch.script_path)
    return read_hostfile(found) if found and launch.follows(found, word, "hostfile") else None


def _batch_value(word: Word) -> object:
    if re.fullmatch(r"\s*\d+\s*", word.text):
        return _int(word)
    if re.fullmatch(r"\s*\d+\.0*\s*", word.text):
        return float(word.text)
    return word.text


_VAR_USE = r"^[\"']?\$\{?([A-Za-z_]\w*)\}?[\"']?$"  # holds "$"
_QUOTIENT = r"\$\(\(\s*\$?\{?(\w+)\}?\s*/\s*(?:\(\s*)?\$?\{?(\w+)\}?\s*[/*]\s*\$?\{?(\w+)\}?\s*\)?\s*\)\)"  # holds "$(("


def _global_from_arithmetic(launch: Launch, display: str, index: LineIndex) -> Fact[object] | None:
    """A script that fixes the total and derives the accumulation, `GRADIENT_ACC=$((BATCH_SIZE /
    PER_DEVICE_BATCH_SIZE / GPUS))`: the first variable is the global batch (InternVL)."""
    text = launch.script.text
    ga_word = next((launch.script_args[f] for f in ACCUM_FLAGS if launch.script_args.get(f) is not None), None)
    pd_word = next((launch.script_args[f] for f in BATCH_FLAGS if launch.script_args.get(f) is not None), None)
    if ga_word is None or pd_word is None:
        return None
    ga_text, pd_text = text[ga_word.start : ga_word.end].strip(), text[pd_word.start : pd_word.end].strip()
    if "$" not in ga_text or "$" not in pd_text:
        return None  # neither is a variable
    ga_var = re.match(_VAR_USE, ga_text)
    pd_var = re.match(_VAR_USE, pd_text)
    if ga_var is None or pd_var is None or ga_var.group(1) not in launch.script.origins:
        return None
    start, end = launch.script.origins[ga_var.group(1)]
    m = re.search(_QUOTIENT, text[start:end]) if "$((" in text[start:end] else None
    total = launch.script.variables.get(m.group(1), "") if m is not None else ""
    if m is None or m.group(2) != pd_var.group(1) or not total.isdigit() or m.group(1) not in launch.script.origins:
        return None
    a, b = launch.script.origins[m.group(1)]
    value = re.search(r"\d+", text[a:b].split("=", 1)[-1])
    word = (
        Word(total, a + len(text[a:b].split("=", 1)[0]) + 1 + value.start(), a + len(text[a:b].split("=", 1)[0]) + 1 + value.end())
        if value is not None
        else Word(total, a, b)
    )
    return _fact(
        FactName.GLOBAL_BATCH,
        int(total),
        word,
        m.group(1),
        display,
        index,
        note=f"{ga_var.group(1)} = {m.group(0)}: the script fixes the total and derives the accumulation",
    )


def _bare_or_bool(launch: Launch, flag: str) -> tuple[object, Word] | None:
    """`--flag` alone (true), `--flag True`, `--flag=false`: the value and the word to point at."""
    word = launch.script_args[flag]
    if word is None:
        found = next((w for w in launch.words or launch.command.words if w.text.startswith(flag)), None)
        return (True, found) if found is not None else None
    if word.text.lower() in ("true", "1", "yes"):
        return True, word
    if word.text.lower() in ("false", "0", "no"):
        return False, word
    return None


# A program named for what it does after training (`inference.py`, `extract_feature.py`, `sample_video.py`),
# and the flag words that show a launch trains all the same (a learning rate, epochs or steps, accumulation).
_AFTER_TRAINING = (
    r"(?:^|[_\-])(?:infer|inference|sample|sampling|eval|evaluate|evaluation|test|predict|extract|generate|generation|demo|export|serve)(?:[_\-]|$)"
)
_AFTER_TRAINING_WORDS = ("infer", "sampl", "eval", "test", "predict", "extract", "generat", "demo", "export", "serve")  # one of them, in an ASCII name
_TRAINING_FLAG_PARTS = ("learning_rate", "epoch", "accum", "warmup", "weight_decay", "optim", "do_train")
_TRAINING_STEP_FLAGS = frozenset(
    {"max_steps", "max_train_steps", "train_steps", "total_steps", "training_steps", "save_steps", "checkpointing_steps", "train_iters", "max_iters"}
)


def _trains(flag: str) -> bool:
    name = flag.lstrip("-").lower().replace("-", "_")
    return name in _TRAINING_STEP_FLAGS or any(part in ("lr", "blr") for part in name.split("_")) or any(w in name for w in _TRAINING_FLAG_PARTS)


def not_training(launch: Launch) -> bool:
    """A launch of a program named for inference, sampling, evaluation or feature extraction whose flags show
    no training (no learning rate, epochs, training steps or accumulation): its `--batch_size` is not a training batch."""
    if launch.program is None or launch.program.unresolved:
        return False
    base = os.path.basename(launch.program.text.rstrip("/"))
    stem = (base[:-3] if base.endswith(".py") else base).rsplit(".", 1)[-1]  # a script, or the last part of a `-m` module
    if stem.isascii() and not any(word in stem.lower() for word in _AFTER_TRAINING_WORDS):
        return False  # (re.I also folds a few non-ASCII letters to ASCII ones: such a name is searched)
    return re.search(_AFTER_TRAINING, stem, re.I) is not None and not any(_trains(flag) for flag in launch.script_args)


def script_arg_facts(launch: Launch, display: str) -> dict[FactName, Fact[object]]:
    """The training script's own batch arguments (after the script name); none for a launch that does not train."""
    index = LineIndex(launch.script.text)
    facts: dict[FactName, Fact[object]] = {}
    if not_training(launch):
        return facts
    rlhf = "--micro_train_batch_size" in launch.script_args
    for name, flags in (
        (FactName.PER_DEVICE_BATCH, BATCH_FLAGS),
        (FactName.GRAD_ACCUM, ACCUM_FLAGS),
        (FactName.GLOBAL_BATCH, ("--train_batch_size", *GLOBAL_FLAGS) if rlhf else GLOBAL_FLAGS),
        *PARALLEL_FLAGS,
    ):
        for flag in flags:
            if rlhf and name == FactName.PER_DEVICE_BATCH and flag == "--train_batch_size":
                continue  # the global batch of an RLHF trainer
            word = launch.script_args.get(flag)
            if word is not None:
                facts[name] = _fact(name, _batch_value(word), word, flag, display, index)
                break
    if FactName.GRAD_ACCUM not in facts:
        # An accumulation flag of a name batchlint does not know (`--accum_every 4`): the run's accumulation is
        # unknown, not the default 1.
        other = next((f for f in launch.script_args if "accum" in f.lower() and "eval" not in f.lower()), None)
        word = launch.script_args.get(other) if other is not None else None
        if other is not None and word is not None:
            facts[FactName.GRAD_ACCUM] = replace(
                _fact(FactName.GRAD_ACCUM, _batch_value(word), word, other, display, index),
                unresolved=f"{other} {word.text}: an accumulation flag batchlint does not read; what it means is up to the training script",
            )
    if FactName.GLOBAL_BATCH not in facts and FactName.GRAD_ACCUM in facts and FactName.PER_DEVICE_BATCH in facts:
        glob = _global_from_arithmetic(launch, display, index)
        if glob is not None:
            facts[FactName.GLOBAL_BATCH] = glob
    for flag in CHECKPOINT_FLAGS:
        if flag in launch.script_args:
            found = _bare_or_bool(launch, flag)
            if found is not None:
                facts[FactName.GRADIENT_CHECKPOINTING] = _fact(FactName.GRADIENT_CHECKPOINTING, found[0], found[1], flag, display, index)
                break
    for flag in DEEPSPEED_FLAGS:
        word = launch.script_args.get(flag) or launch.launcher_args.get(flag)
        if word is not None and word.text.endswith((".json", ".conf", ".config")) or word is not None and flag != "--deepspeed":
            facts[FactName.DEEPSPEED_JSON] = _fact(FactName.DEEPSPEED_JSON, word.text, word, flag, display, index)
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
        for flag in ("--bf16", "--fp16", "--pure_bf16", "--fp8"):
            if flag in launch.script_args:
                found = _bare_or_bool(launch, flag)
                if found is not None:
                    facts[FactName.MIXED_PRECISION] = _fact(FactName.MIXED_PRECISION, found[0], found[1], flag, display, index)
                    break
    return facts


def override_facts(
    launch: Launch, display: str, keys: Mapping[FactName, tuple[str, ...]], facts: Mapping[FactName, Fact[object]]
) -> dict[FactName, Fact[object]]:
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


def _override_scalar(word: Word, span: Span) -> Scalar:
    """A Hydra override's value as YAML reads it (`8` an int, `true` a bool, `null` None)."""
    import yaml

    text = word.text
    try:
        value = yaml.safe_load(text) if text and not word.quoted else text
    except yaml.YAMLError:
        value = text
    if isinstance(value, (dict, list)):
        value = text
    tag = {bool: "bool", int: "int", float: "float", type(None): "null"}.get(type(value), "str")
    return Scalar(span, text, "tag:yaml.org,2002:" + tag, "", value)


def overrides_document(launch: Launch, display: str) -> Document:
    """The config a launch line's Hydra / OmegaConf overrides spell out (`python -m verl.trainer.main_ppo
    actor_rollout_ref.actor.ppo_mini_batch_size=64 trainer.n_gpus_per_node=8`), as a document whose
    values sit at their words in the script, so dialects can read it like a file."""
    index = LineIndex(launch.script.text)
    tree: dict[str, object] = {}
    for dotted, word in launch.overrides.items():
        parts = [p for p in dotted.split(".") if p]
        if word.unresolved or not parts:
            continue
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = word

    def build(value: dict[str, object], span: Span) -> MappingNode:
        mapping = MappingNode(span)
        for key, item in value.items():
            at = index.span(display, item.start, item.end) if isinstance(item, Word) else span
            child = _override_scalar(item, at) if isinstance(item, Word) else build(item, at)  # type: ignore[arg-type]
            mapping.items.append((Scalar(at, key, "tag:yaml.org,2002:str", "", key), child))
        return mapping

    return Document(display, launch.script.text, "overrides", build(tree, Span(display, 1, 1, 1, 1, 0, 0)), [], [])
