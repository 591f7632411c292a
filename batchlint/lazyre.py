"""Importing a library without compiling, at import, the regular expressions its modules compile
at import: each is compiled the first time it is used.

`yaml.reader` compiles a pattern of every non-printable character (about 3 ms, most of PyYAML's
import) that only its pure-Python reader uses; libyaml's parser never does. The resolver's
patterns are compiled when a scalar starting with one of their first characters is resolved. A
pre-commit hook pays the import on every commit, usually for one file.

Only `re.compile` calls made by the library's own modules while it is imported are deferred; the
pattern stands in for the compiled one (every attribute is the compiled pattern's).
It is not a `re.Pattern` for `re.match(pattern, ...)` and the like: a library that passes its
patterns to the module's functions (gettext does) is not imported this way.
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


def import_deferring_patterns(name: str) -> None:
    """Import the module `name` (when it is not yet imported) with the `re.compile` calls its own
    modules (`name` and `name.*`) make while it is imported deferred to each pattern's first use."""
    if name in sys.modules:
        return
    compile_now = re.compile

    def deferred(pattern: object, flags: int = 0) -> object:
        caller: FrameType | None = sys._getframe(1)
        module = str(caller.f_globals.get("__name__", "")) if caller is not None else ""
        if isinstance(pattern, str) and (module == name or module.startswith(name + ".")):
            return LazyPattern(pattern, int(flags))
        return compile_now(pattern, flags)  # type: ignore[call-overload]

    re.compile = deferred  # type: ignore[assignment]
    try:
        __import__(name)
    finally:
        re.compile = compile_now
