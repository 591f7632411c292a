"""`batchlint settings --show FILE`: the settings that apply to a file, as JSON."""

from __future__ import annotations

import sys

from batchlint.commands.common import Frozen, bad_paths, error
from batchlint.commands.exit import ERROR, OK


class SettingsArgs(Frozen):
    __slots__ = ("show",)

    def __init__(self, show: str) -> None:
        self.show = show  # the file whose settings to show


def run(args: SettingsArgs) -> int:
    import json

    if bad_paths([args.show], any_type=True):
        return ERROR
    from batchlint.rules import check_selectors
    from batchlint.settings import SettingsError, describe, settings_for

    try:
        check_selectors(settings_for(args.show))
        shown = describe(args.show)
    except SettingsError as exc:
        error(f"settings: {exc}")
        return ERROR
    json.dump(shown, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return OK
