"""`batchlint settings --show FILE`: the settings that apply to a file, as JSON."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from batchlint.commands.common import error
from batchlint.commands.exit import ERROR, OK


@dataclass(frozen=True, slots=True)
class SettingsArgs:
    show: str  # the file whose settings to show


def run(args: SettingsArgs) -> int:
    import json

    from batchlint.settings import SettingsError, describe

    try:
        shown = describe(args.show)
    except SettingsError as exc:
        error(f"settings: {exc}")
        return ERROR
    json.dump(shown, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return OK
