"""Give a training run its memory model: the GPU and the profile from the command line, settings
or a built-in preset. What is missing is kept as a reason for BL204."""

from __future__ import annotations

from batchlint.memory.gpus import Gpu, lookup, names
from batchlint.memory.model import build_model
from batchlint.memory.profile import PRESETS, Profile, ProfileError, parse_profile
from batchlint.options import LaunchOptions
from batchlint.resolve import DocumentLoader
from batchlint.run import Run
from batchlint.settings import SettingsError

# `typing` costs start-up time in a pre-commit hook; mypy treats TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_HEADROOM = 0.05


def choose_gpu(options: LaunchOptions, settings: dict[str, Any]) -> Gpu | None:
    name = options.gpu or settings.get("gpu")
    capacity = options.gpu_memory_gib or settings.get("gpu-memory-gib")
    gpu = None
    if name is not None:
        gpu = lookup(str(name))
        if gpu is None:
            raise SettingsError(f"unknown GPU {name!r}; known: {', '.join(names())} (or give gpu-memory-gib)")
    if capacity is not None:
        return Gpu(gpu.name if gpu else f"{capacity:g} GiB card", float(capacity), "declared capacity")
    return gpu


def load_profile(path: str, load: DocumentLoader) -> Profile:
    from batchlint.loading import LoadError
    from batchlint.loading.nodes import to_python

    try:
        doc = load(path)
    except LoadError as exc:
        raise SettingsError(f"memory profile {exc.path}:{exc.line}:{exc.column}: {exc.message}") from None
    data = to_python(doc.root)
    try:
        return parse_profile(data if isinstance(data, dict) else {}, doc.path)
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None


def choose_profile(run: Run, options: LaunchOptions, settings: dict[str, Any], load: DocumentLoader) -> Profile | None:
    try:
        if options.memory_profile:
            return load_profile(options.memory_profile, load)
        if options.memory_preset:
            return parse_profile({"preset": options.memory_preset}, "--memory-preset")
        if isinstance(settings.get("memory"), dict):
            return parse_profile(settings["memory"], f"[memory] in {settings.get('_path', 'settings')}")
        if settings.get("memory-profile"):
            return load_profile(settings["memory-profile"], load)
        if settings.get("memory-preset"):
            return parse_profile({"preset": settings["memory-preset"]}, f"memory-preset in {settings.get('_path', 'settings')}")
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    from batchlint.dialects.musev import is_musev_model

    if run.dialect.name == "musev" and run.documents and is_musev_model(run.documents[0].root):
        # MuseV's own two models: the preset follows model.use_referencenet.
        ref = run.facts.get("use_referencenet")
        return PRESETS["musev_referencenet" if ref is None or ref.value is not False else "musev"]()
    return None


def attach_memory(run: Run, options: LaunchOptions, settings: dict[str, Any], load: DocumentLoader) -> None:
    gpu = choose_gpu(options, settings)
    profile = choose_profile(run, options, settings, load)
    if gpu is None and profile is None:
        run.memory_missing = "no GPU and no memory profile declared"
        return
    if gpu is None:
        run.memory_missing = f"no GPU declared (memory profile: {profile.name if profile else '-'})"
        return
    if profile is None:
        run.memory_missing = f"no memory profile for this model (GPU: {gpu.name})"
        return
    if run.int_fact("data_parallel_size") is None:
        run.memory_missing = "the process count is unknown (see BL103): the main card's load depends on it"
        return
    headroom = float(settings.get("headroom") or DEFAULT_HEADROOM)
    built = build_model(run.facts, gpu, headroom, profile, int(settings.get("gpus-per-node") or 8))
    if isinstance(built, str):
        run.memory_missing = built
    else:
        run.memory = built
