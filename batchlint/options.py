"""Typed options of one invocation: what the command line says about the launch and the rules.

The command-line layer (`batchlint/commands/`) turns arguments into these; every later stage
reads them and never sees argparse.
"""

from __future__ import annotations

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from batchlint.record import dataclass, field


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """What the command line says about the launch (each wins over settings and files)."""

    accelerate_config: str | None = None
    num_processes: int | None = None
    num_machines: int | None = None
    target_total: int | None = None
    include_root: str | None = None
    gpu: str | None = None
    gpu_memory_gib: float | None = None
    memory_profile: str | None = None
    memory_preset: str | None = None
    use_default_accelerate_config: bool = False  # read the machine's default config only when asked


@dataclass(frozen=True, slots=True)
class Options:
    """Options of a `check` / `inspect` / `plan` run."""

    launch: LaunchOptions = field(default_factory=LaunchOptions)
    select: list[str] | None = None
    ignore: list[str] | None = None
    force_exclude: bool = False
    baseline: str | None = None  # git revision to compare each run with (--baseline; wins over `baseline` in settings)
    bound_configs: bool = False  # also check the training configs a given launch file, include or DeepSpeed JSON is bound to
