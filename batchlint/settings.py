"""Settings: `[tool.batchlint]` in the pyproject.toml (or batchlint.toml) closest to a file.

One table of field definitions drives parsing, validation and the JSON Schema in
`schemas/batchlint-settings.schema.json` (regenerate with `python -m batchlint.settings`).
Paths in settings are relative to the settings file.
"""

from __future__ import annotations

import os

# Records are built by batchlint.record at run time (`dataclasses` costs start-up); mypy checks them as dataclasses.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass, field
else:
    from batchlint.record import dataclass, field

if TYPE_CHECKING:
    from typing import Any

# name -> (kind, description). "path" is a string resolved against the settings file, "paths" a list of them; "codes" and "ignores"
# hold rule codes, prefixes or names; "choice" is one of CHOICES[name]; "version" a release number; "gpu" a
# GPU of `batchlint plan --list-gpus`. `_check` validates each kind, `json_schema` describes it.
FIELDS: dict[str, tuple[str, str]] = {
    "target-total": ("integer", "Target total batch per optimizer step (BL101, BL104)."),
    "num-processes": ("integer", "Total processes (GPUs) over all machines, as `accelerate launch --num_processes`."),
    "num-machines": ("integer", "Number of machines (nodes)."),
    "accelerate-config": ("path", "accelerate config file that launches the training configs."),
    "include-root": ("path", "Directory that `${include:...}` names are relative to (default: the including file's directory)."),
    "launch-dir": ("path", "Directory the launch runs from; relative DeepSpeed config paths start here."),
    "gpu": ("gpu", "GPU model the run trains on, e.g. A100-80GB (see `batchlint plan --list-gpus`)."),
    "gpu-memory-gib": ("number", "GPU capacity in GiB as torch reports it, instead of (or overriding) `gpu`."),
    "headroom": ("fraction", "Share of the capacity kept free for fragmentation and the allocator (default 0.05)."),
    "gpus-per-node": ("integer", "GPUs per machine (default 8), for the stray-context term of the main card."),
    "memory-profile": ("path", "YAML file with the model's memory profile (schemas/memory-profile.schema.json)."),
    "memory-preset": ("choice", "Built-in memory profile (low confidence, from the authors' published figures)."),
    "memory": ("table", "The memory profile inline, same keys as a memory-profile file."),
    "accelerate-version": ("version", "accelerate release whose behaviour the AC/DS/X rules assume (default 1.15.0)."),
    "deepspeed-version": ("version", "DeepSpeed release whose behaviour the DS rules assume (default 0.19.6)."),
    "deepspeed-launch": ("choice", "How DeepSpeed JSON files are used (default accelerate)."),
    "allow-outside": (
        "paths",
        "Directories (relative to this file) outside the project that files named in checked files (includes, launch configs, "
        "DeepSpeed JSON, hostfiles, scripts, memory profiles) may be read from.",
    ),
    "extend": ("path", "Another settings file (pyproject.toml or batchlint.toml) whose values these extend."),
    "required-version": ("string", 'Version specifier batchlint must satisfy, e.g. ">=0.1" or "==0.1.0".'),
    "baseline": ("string", 'Git revision each run\'s total is compared with (BL107, BL108), e.g. "origin/main"; `--baseline` wins.'),
    "exclude": ("globs", "Globs (relative to this file) of files a directory walk skips; --force-exclude applies them to named files too."),
    "extend-select": ("codes", "Codes or prefixes added to `select`."),
    "per-file-ignores": ("ignores", "Glob (relative to this file) -> codes to ignore in matching files."),
    "select": ("codes", "Rule codes or prefixes to run (default: all)."),
    "ignore": ("codes", "Rule codes or prefixes to skip."),
}
# What batchlint applies when a field is unset, for the fields that have one value then (the consumers'
# defaults: a test keeps them in step). `settings --show` prints them.
DEFAULTS: dict[str, Any] = {
    "headroom": 0.05,
    "gpus-per-node": 8,
    "accelerate-version": "1.15.0",
    "deepspeed-version": "0.19.6",
    "deepspeed-launch": "accelerate",
    "select": ["ALL"],
}
# The allowed values of each "choice" field, each with what it means (the schema shows it on completion).
CHOICES: dict[str, dict[str, str]] = {
    "deepspeed-launch": {
        "accelerate": "accelerate launch, with deepspeed_config_file in the accelerate config (the default).",
        "hf-trainer": 'The HF Trainer\'s --deepspeed ds.json: "auto" values are filled in from the training arguments.',
        "deepspeed": 'The raw deepspeed launcher: no "auto" values are filled in.',
    },
    "memory-preset": {
        "musev_referencenet": "MuseV with its ReferenceNet (model.use_referencenet true).",
        "musev": "MuseV without the ReferenceNet.",
    },
}
# A release number as the rules compare them: 1.15.0, 0.19, 1.0.0rc1, 0.34.2.post1.
VERSION_PATTERN = r"^[0-9]+(\.[0-9]+){0,3}((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$"
DIALECT_FIELDS = {
    "name": "Name shown as the run's dialect.",
    "detect": "Key paths that must all be present for a file to be this dialect.",
    "per-device-batch": "Key path of the per-device batch.",
    "grad-accum": "Key path of the gradient accumulation steps (absent: 1).",
    "processes": "Key path of the process (GPU) count, if the file has one.",
    "precision": "Key path of the mixed precision setting.",
    "semantics": "How the file is read: yaml11 (PyYAML, default), omegaconf or json.",
}
SEMANTICS = {
    "yaml11": "PyYAML (YAML 1.1: unquoted no is false), the default.",
    "omegaconf": "OmegaConf: ${...} interpolations resolve, 1e-5 is a float.",
    "json": "JSON.",
}
RUN_FIELDS = (
    "configs",
    "target-total",
    "num-processes",
    "num-machines",
    "accelerate-config",
    "include-root",
    "launch-dir",
    "gpu",
    "gpu-memory-gib",
    "headroom",
    "gpus-per-node",
    "memory-profile",
    "memory-preset",
    "memory",
)


class SettingsError(Exception):
    pass


class RunBinding:
    def __init__(self, configs: list[str], values: dict[str, Any]) -> None:
        self.configs = configs
        self.values = values


@dataclass(frozen=True)
class FileSettings:
    """The settings that apply to one file: the table, then the first matching `[[runs]]` binding.

    One attribute per row of FIELDS (a test keeps the two in step); paths are already absolute.
    """

    path: str | None = None  # the settings file, or None for defaults
    target_total: int | None = None
    num_processes: int | None = None
    num_machines: int | None = None
    accelerate_config: str | None = None
    include_root: str | None = None
    launch_dir: str | None = None
    gpu: str | None = None
    gpu_memory_gib: float | None = None
    headroom: float | None = None
    gpus_per_node: int | None = None
    memory_profile: str | None = None
    memory_preset: str | None = None
    memory: dict[str, Any] | None = None
    accelerate_version: str | None = None
    deepspeed_version: str | None = None
    deepspeed_launch: str | None = None
    allow_outside: list[str] = field(default_factory=list)
    extend: str | None = None
    required_version: str | None = None
    baseline: str | None = None
    exclude: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)

    @classmethod
    def from_values(cls, path: str | None, values: dict[str, Any]) -> FileSettings:
        return cls(path, **{name.replace("-", "_"): value for name, value in values.items()})

    def get(self, name: str) -> Any:
        """A value by its settings name (`target-total`), None when unset."""
        return getattr(self, name.replace("-", "_"))

    @property
    def where(self) -> str:
        """The settings file as shown in messages."""
        if self.path is None:
            return "settings"
        from batchlint.paths import display_path

        return display_path(self.path)

    def as_json(self) -> dict[str, Any]:
        return {name: self.get(name) for name in FIELDS if self.get(name) not in (None, [], {})}


class Settings:
    def __init__(self, path: str | None = None) -> None:
        self.path = path  # the settings file, or None for defaults
        self.values: dict[str, Any] = {}
        self.runs: list[RunBinding] = []
        self.dialects: list[dict[str, Any]] = []  # user-defined dialects, checked before the built-in ones
        # Rule selectors as written, for `rules.check_selectors` (the rule registry sits above settings):
        # (settings file, key as shown in a message, the codes); `selectors_checked` once they were.
        self.selectors: list[tuple[str, str, list[str]]] = []
        self.selectors_checked = False
        self.any_file: FileSettings | None = None  # for_file's answer while there is no [[runs]] binding: the same for every file

    @property
    def root(self) -> str:
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def ignores_for(self, file: str) -> list[str]:
        """`ignore` plus the `per-file-ignores` whose glob matches the file."""
        codes = list(self.values.get("ignore") or [])
        per_file = self.values.get("per-file-ignores") or {}
        rel = os.path.relpath(os.path.abspath(file), self.root).replace(os.sep, "/") if per_file else ""
        for glob, extra in per_file.items():
            if _fnmatch(rel, glob) or _fnmatch(os.path.basename(file), glob):
                codes.extend(extra)
        return codes

    def select(self) -> list[str] | None:
        chosen = self.values.get("select")
        extra = self.values.get("extend-select") or []
        if chosen is None:
            return None if not extra else ["ALL"]  # extend-select on top of the default (all rules)
        return list(chosen) + list(extra)

    def excluded(self, file: str) -> bool:
        rel = os.path.relpath(os.path.abspath(file), self.root).replace(os.sep, "/")
        for glob in self.values.get("exclude") or []:
            glob = glob.removeprefix("./").rstrip("/")
            if _fnmatch(rel, glob) or _fnmatch(rel, glob + "/*") or rel.startswith(glob + "/"):
                return True
        return False

    def for_file(self, file: str) -> FileSettings:
        """Settings that apply to one training config: the table, then the first matching run (with no
        run, the table's, built once: a FileSettings is frozen, and the table is read before any file)."""
        if not self.runs:
            if self.any_file is None:
                self.any_file = FileSettings.from_values(self.path, dict(self.values))
            return self.any_file
        merged = dict(self.values)
        rel = os.path.relpath(os.path.abspath(file), self.root).replace(os.sep, "/")
        for binding in self.runs:
            if any(_fnmatch(rel, pat) or _fnmatch(rel, pat.removeprefix("./")) for pat in binding.configs):
                merged.update(binding.values)
                break
        return FileSettings.from_values(self.path, merged)


def _fnmatch(name: str, pattern: str) -> bool:
    """`fnmatch.fnmatch`, imported when settings name a glob (a run without settings never needs it)."""
    import fnmatch

    return fnmatch.fnmatch(name, pattern)


def _check(name: str, value: Any, where: str, base: str) -> Any:
    """A settings value: of the type its FIELDS row says, then a value batchlint knows (a choice, a version, a
    GPU); otherwise a one-line SettingsError naming the file and the key. Rule codes are checked against the
    registry by `batchlint.rules.check_selectors`, which may import what settings may not."""
    return _check_value(name, _check_type(name, value, where, base), where)


def _described(value: Any) -> str:
    """A settings value in a message: its TOML type and, when short, the value."""
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}.get(type(value), "value")
    shown = repr(value)
    return f"the {kind} {shown}" if len(shown) <= 60 else f"a long {kind}"


def _check_type(name: str, value: Any, where: str, base: str) -> Any:
    kind = _TYPE_OF.get(FIELDS[name][0], FIELDS[name][0]) if name in FIELDS else "globs"
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SettingsError(f"{where}: `{name}` must be a positive integer, got {_described(value)}")
        return value
    if kind == "path":
        if not isinstance(value, str) or not value or "\0" in value:
            raise SettingsError(f"{where}: `{name}` must be a path string, got {_described(value)}")
        return os.path.normpath(os.path.join(base, value))
    if kind == "string":
        if not isinstance(value, str) or not value:
            raise SettingsError(f"{where}: `{name}` must be a string, got {_described(value)}")
        return value
    if kind in ("number", "fraction"):
        import math

        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e300 else math.nan
        if not math.isfinite(number) or number <= 0 or (kind == "fraction" and number >= 1):
            raise SettingsError(
                f"{where}: `{name}` must be a {'fraction between 0 and 1' if kind == 'fraction' else 'positive number'}, got {_described(value)}"
            )
        return number
    if kind == "table":
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: `{name}` must be a table ([tool.batchlint.{name}]), got {_described(value)}")
        return value
    if kind == "ignores":
        if not isinstance(value, dict) or not all(isinstance(v, str) or isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()):
            raise SettingsError(f"{where}: `{name}` must be a table of glob = [codes], got {_described(value)}")
        return {glob: [v] if isinstance(v, str) else list(v) for glob, v in value.items()}
    if isinstance(value, str):
        value = [value]
    if kind == "paths":
        if not isinstance(value, list) or not all(isinstance(v, str) and v and "\0" not in v for v in value):
            raise SettingsError(f"{where}: `{name}` must be a list of directory paths, got {_described(value)}")
        return [os.path.normpath(os.path.join(base, v)) for v in value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: `{name}` must be a string or a list of strings, got {_described(value)}")
    return list(value)


_TYPE_OF = {"choice": "string", "version": "string", "gpu": "string"}  # kinds checked as strings first


def _did_you_mean(word: str, choices: list[str], quote: str = "`", cutoff: float = 0.6) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, 1, cutoff)
    return f" (did you mean {quote}{close[0]}{quote}?)" if close else ""


def _check_value(name: str, value: Any, where: str) -> Any:
    """What `_check_type` let through, checked against what batchlint knows."""
    kind = FIELDS[name][0] if name in FIELDS else "globs"
    if kind == "choice" and value not in CHOICES[name]:
        allowed = list(CHOICES[name])
        raise SettingsError(f'{where}: `{name}` = "{value}" is not one of {", ".join(allowed)}{_did_you_mean(value, allowed, chr(34))}')
    elif kind == "version":
        import re

        if not re.fullmatch(VERSION_PATTERN, value):
            bare = value.strip().lstrip("vV=")
            hint = f' (did you mean "{bare}"?)' if re.fullmatch(VERSION_PATTERN, bare) else f': write the release, e.g. "{DEFAULTS[name]}"'
            raise SettingsError(f'{where}: `{name}` = "{value}" is not a version{hint}')
    elif kind == "gpu":
        from batchlint.memory.gpus import GpuNameError, lookup, names

        try:
            lookup(value)
        except GpuNameError as exc:
            if str(exc).startswith("ambiguous"):  # a family of several sizes: the choices
                raise SettingsError(f'{where}: `{name}` = "{value}" is ambiguous: {str(exc).split(": ", 1)[1]}') from None
            raise SettingsError(
                f'{where}: `{name}` = "{value}" is not a GPU batchlint knows{_did_you_mean(value, names(), chr(34), 0.8)}; '
                "see `batchlint plan --list-gpus`, or give `gpu-memory-gib`"
            ) from None
    return value


def parse_table(table: dict[str, Any], path: str, depth: int = 0) -> Settings:
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: the batchlint settings must be a table ([tool.batchlint]), got {_described(table)}")
    base = os.path.dirname(path)
    settings = Settings(path)
    if "extend" in table:
        parent_path = _check_type("extend", table["extend"], path, base)
        if depth > 8:
            raise SettingsError(f"{path}: `extend` chain is too long (a cycle?)")
        if not os.path.isfile(parent_path):
            what = (
                "which is a directory"
                if os.path.isdir(parent_path)
                else "which does not exist"
                if not os.path.lexists(parent_path)
                else "which is not a regular file"
            )
            raise SettingsError(f"{path}: `extend` names {parent_path}, {what}")
        inherited = parse_table(batchlint_table(_read_toml(parent_path), parent_path) or {}, parent_path, depth + 1)
        settings.values.update(inherited.values)  # paths in it are already absolute: relative to *its* file
        settings.runs.extend(inherited.runs)
        settings.dialects.extend(inherited.dialects)
        settings.selectors.extend(inherited.selectors)
    for name, value in table.items():
        if name == "dialects":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise SettingsError(f"{path}: `dialects` must be an array of tables ([[tool.batchlint.dialects]])")
            for i, d in enumerate(value):
                where = f"{path}: dialects[{i}]"
                unknown = set(d) - set(DIALECT_FIELDS)
                if unknown:
                    raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(DIALECT_FIELDS)}")
                for required in ("name", "detect", "per-device-batch"):
                    if required not in d:
                        raise SettingsError(f"{where}: needs `{required}`")
                detect = [d["detect"]] if isinstance(d["detect"], str) else d["detect"]
                if not isinstance(detect, list) or not detect or not all(isinstance(k, str) for k in detect):
                    raise SettingsError(f"{where}: `detect` must be a key path or a list of key paths")
                for key in ("name", "per-device-batch", "grad-accum", "processes", "precision"):
                    if key in d and (not isinstance(d[key], str) or not d[key]):
                        raise SettingsError(f"{where}: `{key}` must be a non-empty string")
                if d.get("semantics", "yaml11") not in SEMANTICS:
                    raise SettingsError(
                        f'{where}: `semantics` = "{d["semantics"]}" is not one of {", ".join(SEMANTICS)}'
                        f"{_did_you_mean(str(d['semantics']), list(SEMANTICS), chr(34))}"
                    )
                settings.dialects.append({**d, "detect": detect})
            continue
        if name == "runs":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise SettingsError(f"{path}: `runs` must be an array of tables ([[tool.batchlint.runs]])")
            for i, run in enumerate(value):
                where = f"{path}: runs[{i}]"
                unknown = set(run) - set(RUN_FIELDS)
                if unknown:
                    raise SettingsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(RUN_FIELDS)}")
                if "configs" not in run:
                    raise SettingsError(f"{where}: needs `configs`, the globs of the training configs it binds")
                values = {k: _check(k, v, where, base) for k, v in run.items() if k != "configs"}
                settings.runs.append(RunBinding(_check("configs", run["configs"], where, base), values))
            continue
        if name == "extend":
            continue
        if name not in FIELDS:
            import difflib

            close = difflib.get_close_matches(name, list(FIELDS) + ["runs"], 1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise SettingsError(f"{path}: unknown setting `{name}`{hint}")
        settings.values[name] = _check(name, value, path, base)
        if FIELDS[name][0] == "codes":
            settings.selectors.append((path, f"`{name}`", settings.values[name]))
        elif FIELDS[name][0] == "ignores":
            settings.selectors.extend((path, f'`{name}` "{glob}"', codes) for glob, codes in settings.values[name].items())
    version_spec = settings.values.get("required-version")
    if version_spec is not None:
        _require(str(version_spec), path)
    return settings


def _require(spec: str, path: str) -> None:
    """`required-version`: comma-separated clauses of ==, !=, >=, <=, >, < and a dotted version."""
    import re

    from batchlint import __version__

    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v)[:3])

    mine = parts(__version__)
    for clause in spec.split(","):
        m = re.fullmatch(r"\s*(==|!=|>=|<=|>|<)?\s*([\d.]+)\s*", clause)
        if m is None:
            raise SettingsError(f"{path}: `required-version` {spec!r} is not a version specifier")
        op, want = m.group(1) or "==", parts(m.group(2))
        ok = {"==": mine[: len(want)] == want, "!=": mine[: len(want)] != want, ">=": mine >= want, "<=": mine <= want, ">": mine > want, "<": mine < want}[op]
        if not ok:
            raise SettingsError(f"{path}: requires batchlint {spec}, this is {__version__}")


def _read_toml(path: str) -> dict[str, Any]:
    from batchlint.loading.files import ReadError, read_bytes
    from batchlint.loading.toml import TomlError, parse_toml

    try:
        data = read_bytes(path)
    except ReadError as exc:
        raise SettingsError(f"{path}: {exc.message}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SettingsError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8, as TOML requires") from None
    try:
        return parse_toml(text)
    except TomlError as exc:
        if not exc.syntax:  # an integer over Python's 4,300-digit limit, nesting too deep
            raise SettingsError(f"{path}: cannot read this TOML: {exc.message}") from None
        raise SettingsError(f"{path}: invalid TOML: {exc.message} (at line {exc.line}, column {exc.column})") from None


def batchlint_table(data: dict[str, Any], path: str) -> dict[str, Any] | None:
    """`[tool.batchlint]` of a settings file; a batchlint.toml without one is the table itself;
    None for a pyproject.toml without one. A `tool` or `tool.batchlint` that is not a table is an error."""
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise SettingsError(f"{path}: `tool` must be a table (write [tool.batchlint]), got {_described(tool)}")
    table = tool.get("batchlint") if tool is not None else None
    if table is None:
        return None if os.path.basename(path) == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: `tool.batchlint` must be a table (write [tool.batchlint]), got {_described(table)}")
    return table


def _mentions_batchlint(path: str) -> bool:
    from batchlint.loading.files import read_bytes

    try:
        return b"batchlint" in read_bytes(path)
    except OSError:
        return False


class SettingsCache:
    """Settings discovery for one invocation: one look per directory (a Session holds one)."""

    def __init__(self) -> None:
        self.by_directory: dict[str, Settings] = {}

    def for_path(self, file: str) -> Settings:
        return settings_for(file, self.by_directory)


def settings_for(file: str, cache: dict[str, Settings] | None = None) -> Settings:
    """The closest settings file at or above the file's directory; defaults when none.
    `cache` (directory -> settings) is a SettingsCache's."""
    directory = os.path.dirname(os.path.abspath(file))
    visited: list[str] = []
    found = Settings()
    while True:
        if cache is not None and directory in cache:
            found = cache[directory]
            break
        visited.append(directory)
        hit = None
        own = os.path.join(directory, "batchlint.toml")
        if os.path.isfile(own):
            hit = parse_table(batchlint_table(_read_toml(own), own) or {}, own)
        else:
            project = os.path.join(directory, "pyproject.toml")
            # Most pyproject.toml files have no batchlint table: skip importing and parsing TOML then.
            if os.path.isfile(project) and _mentions_batchlint(project):
                table = batchlint_table(_read_toml(project), project)
                if table is not None:
                    hit = parse_table(table, project)
        if hit is not None:
            found = hit
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    if cache is not None:
        for d in visited:
            cache[d] = found
    return found


def json_schema() -> dict[str, Any]:
    def prop(name: str) -> dict[str, Any]:
        kind, desc = FIELDS[name]
        if kind == "integer":
            return {"type": "integer", "minimum": 1, "description": desc}
        if kind in ("path", "string"):
            return {"type": "string", "minLength": 1, "description": desc}
        if kind == "choice":
            return {"oneOf": [{"const": value, "description": means} for value, means in CHOICES[name].items()], "description": desc}
        if kind == "version":
            return {"type": "string", "pattern": VERSION_PATTERN, "description": desc}
        if kind == "gpu":
            from batchlint.memory.gpus import names

            return {"type": "string", "minLength": 1, "description": desc, "examples": names()}
        if kind == "number":
            return {"type": "number", "exclusiveMinimum": 0, "description": desc}
        if kind == "fraction":
            return {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "description": desc}
        if kind == "table":
            return {"allOf": [{"$ref": "memory-profile.schema.json"}], "description": desc}  # draft-07 ignores $ref's siblings
        if kind == "ignores":
            return {
                "type": "object",
                "description": desc,
                "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            }
        return {"type": "array", "items": {"type": "string"}, "description": desc}

    run_props: dict[str, Any] = {
        "configs": {
            "description": "Globs (relative to the settings file) of the training configs this run binds.",
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        }
    }
    run_props.update({n: prop(n) for n in RUN_FIELDS if n != "configs"})
    props: dict[str, Any] = {n: prop(n) for n in FIELDS}
    props["dialects"] = {
        "type": "array",
        "description": "Your own trainers' config dialects.",
        "items": {
            "type": "object",
            "required": ["name", "detect", "per-device-batch"],
            "additionalProperties": False,
            "properties": {
                k: (
                    {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}], "description": v}
                    if k == "detect"
                    else {"oneOf": [{"const": s, "description": d} for s, d in SEMANTICS.items()], "description": v}
                    if k == "semantics"
                    else {"type": "string", "minLength": 1, "description": v}
                )
                for k, v in DIALECT_FIELDS.items()
            },
        },
    }
    props["runs"] = {
        "type": "array",
        "description": "Bindings of training configs to a launch.",
        "items": {"type": "object", "properties": run_props, "required": ["configs"], "additionalProperties": False},
    }
    from batchlint import JSON_SCHEMA_DRAFT, schema_url

    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "$id": schema_url("batchlint-settings"),
        "title": "batchlint settings ([tool.batchlint] in pyproject.toml, or batchlint.toml)",
        "description": "batchlint's settings: the closest pyproject.toml [tool.batchlint] or batchlint.toml to a checked file applies to it.",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }


def describe(file: str) -> dict[str, Any]:
    """`batchlint settings --show FILE`: the settings file that applies to a file, what it says there, and
    under "effective" every field with the value that applies (the default when unset, null when batchlint
    then looks elsewhere: the command line, the launch, a comment) and whether it is a default."""
    settings = settings_for(file)
    here = settings.for_file(file)
    effective = {
        name: {"value": here.get(name), "default": False} if here.get(name) not in (None, [], {}) else {"value": DEFAULTS.get(name), "default": True}
        for name in FIELDS
    }
    return {
        "settings_file": settings.path,
        "applies_to": file,
        "effective": effective,
        "values": here.as_json(),
        "ignore_here": settings.ignores_for(file),
        "select": settings.select(),
        "excluded": settings.excluded(file),
        "runs": [{"configs": r.configs, **r.values} for r in settings.runs],
        "dialects": settings.dialects,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(json_schema(), indent=2))
