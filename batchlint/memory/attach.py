"""The memory stage: a training run's memory model from the GPU and the profile (command line,
settings or a built-in preset), or the reason there is none (BL204). Returns a value; the run is
never changed here."""

from __future__ import annotations

from batchlint.memory.profile import PRESETS, Profile, ProfileError, parse_profile
from batchlint.model import FactName, RunModel
from batchlint.options import LaunchOptions
from batchlint.resolve import DocumentLoader
from batchlint.settings import DEFAULTS, FileSettings, SettingsError

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true. The card table
# (`gpus`) and the estimates (`model`) are imported when a GPU is declared: a run without one never
# looks a card up nor builds a model.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from batchlint.memory.gpus import Gpu
    from batchlint.memory.model import MemoryModel

DEFAULT_HEADROOM: float = DEFAULTS["headroom"]

# Why a run has no memory model (the start of memory_for's reason) -> what to declare (BL204's help).
NO_GPU_NO_PROFILE = "no GPU and no memory profile declared"
NO_GPU = "no GPU declared"
NO_PROFILE = "no memory profile for this model"
NO_PROCESSES = "the process count is unknown"
_DECLARE_GPU = "`gpu` (or `gpu-memory-gib`)"
_DECLARE_PROFILE = "a memory profile (`memory-profile`, `memory-preset` or [tool.batchlint.memory])"
_HELP = {
    NO_GPU_NO_PROFILE: f"declare {_DECLARE_GPU} and {_DECLARE_PROFILE} in [tool.batchlint], or pass --gpu and --memory-profile",
    NO_GPU: f"declare {_DECLARE_GPU} in [tool.batchlint], or pass --gpu",
    NO_PROFILE: f"declare {_DECLARE_PROFILE} in [tool.batchlint], or pass --memory-profile",
    NO_PROCESSES: "give the process count: --num-processes, `num-processes` in settings, or the launch config",
}


def missing_help(reason: str) -> str:
    """What to declare so that the memory rules run, for the reason memory_for gave."""
    for start, help in _HELP.items():
        if reason.startswith(start):
            return help
    return "complete the memory profile: give what the message names"  # the profile lacks a term (build_model)


def choose_gpu(options: LaunchOptions, settings: FileSettings) -> Gpu | None:
    name = options.gpu or settings.gpu
    capacity = options.gpu_memory_gib or settings.gpu_memory_gib
    if name is None and capacity is None:
        return None
    from batchlint.memory.gpus import Gpu, GpuNameError, lookup

    gpu = None
    if name is not None:
        try:
            gpu = lookup(str(name))
        except GpuNameError as exc:
            where = "--gpu" if options.gpu else f"gpu in {settings.where}"
            raise SettingsError(f"{where}: {exc}") from None
    if capacity is not None:
        return Gpu(gpu.name if gpu else f"{capacity:g} GiB card", float(capacity), "declared capacity")
    return gpu


def load_profile(path: str, load: DocumentLoader, where: str = "settings") -> Profile:
    from batchlint.loading import LoadError, LoadErrorKind
    from batchlint.loading.nodes import to_python

    try:
        doc = load(path)
    except LoadError as exc:
        if exc.kind == LoadErrorKind.OUTSIDE:  # named in settings, outside the project fence: not read
            raise SettingsError(f"{where}: `memory-profile`: {exc.message}; {exc.help}") from None
        raise SettingsError(f"memory profile {exc.path}:{exc.line}:{exc.column}: {exc.message}") from None
    data = to_python(doc.root)
    try:
        return parse_profile(data if isinstance(data, dict) else {}, doc.path)
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None


def choose_profile(run: RunModel, options: LaunchOptions, settings: FileSettings, load: DocumentLoader, musev_model: bool) -> Profile | None:
    try:
        if options.memory_profile:
            return load_profile(options.memory_profile, load)
        if options.memory_preset:
            return parse_profile({"preset": options.memory_preset}, "--memory-preset")
        if isinstance(settings.memory, dict):
            return parse_profile(settings.memory, f"[memory] in {settings.where}")
        if settings.memory_profile:
            return load_profile(settings.memory_profile, load, settings.where)
        if settings.memory_preset:
            return parse_profile({"preset": settings.memory_preset}, f"memory-preset in {settings.where}")
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    if musev_model:
        # MuseV's own two models: the preset follows model.use_referencenet.
        ref = run.get(FactName.USE_REFERENCENET)
        return PRESETS["musev_referencenet" if ref is None or ref.value is not False else "musev"]()
    return None


def memory_for(
    run: RunModel, options: LaunchOptions, settings: FileSettings, load: DocumentLoader, musev_model: bool = False
) -> tuple[MemoryModel | None, str | None]:
    """(the memory model, None) or (None, why there is none)."""
    gpu = choose_gpu(options, settings)
    profile = choose_profile(run, options, settings, load, musev_model)
    if gpu is None and profile is None:
        return None, NO_GPU_NO_PROFILE
    if gpu is None:
        return None, f"{NO_GPU} (memory profile: {profile.name if profile else '-'})"
    if profile is None:
        return None, f"{NO_PROFILE} (GPU: {gpu.name})"
    if run.int_fact(FactName.DATA_PARALLEL_SIZE) is None:
        return None, f"{NO_PROCESSES} (see BL103): the main card's load depends on it"
    from batchlint.memory.model import build_model

    headroom = float(settings.headroom or DEFAULT_HEADROOM)
    built = build_model(run.fact_map(), gpu, headroom, profile, int(settings.gpus_per_node or DEFAULTS["gpus-per-node"]), run.sharding)
    return (None, built) if isinstance(built, str) else (built, None)


def load_profile_file(path: str) -> Profile:
    """A memory profile file read on its own, outside any run (`batchlint plan --memory-profile`)."""
    from batchlint.session import Session

    return load_profile(path, Session().load)
