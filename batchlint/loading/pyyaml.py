"""Importing this module imports PyYAML without compiling, at import, the regular expressions its
modules compile at import: each is compiled the first time it is used.

`yaml.reader` compiles a pattern of every non-printable character (about 3 ms, most of PyYAML's
import) that only its pure-Python reader uses; libyaml's parser never does. The resolver's
patterns are compiled when a scalar starting with one of their first characters is resolved. A
pre-commit hook pays the import on every commit, usually for one file.

Only `re.compile` calls made by PyYAML's own modules while it is imported are deferred; the
pattern stands in for the compiled one (every attribute is the compiled pattern's).
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType


class LazyPattern:
    """A regular expression compiled at its first use; then each attribute is the compiled one's,
    kept on the instance so that later look-ups are plain attribute reads."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.__dict__["_source"] = (pattern, flags)

    def __getattr__(self, name: str) -> object:
        compiled = re.compile(*self.__dict__["_source"])
        value = getattr(compiled, name)
        if not name.startswith("__"):
            self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return repr(re.compile(*self.__dict__["_source"]))


def _import() -> None:
    if "yaml" in sys.modules:
        return
    compile_now = re.compile

    def deferred(pattern: object, flags: int = 0) -> object:
        caller: FrameType | None = sys._getframe(1)
        if isinstance(pattern, str) and caller is not None and str(caller.f_globals.get("__name__", "")).startswith("yaml."):
            return LazyPattern(pattern, int(flags))
        return compile_now(pattern, flags)  # type: ignore[call-overload]

    re.compile = deferred  # type: ignore[assignment]
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = compile_now


_import()
