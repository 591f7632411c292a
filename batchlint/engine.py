"""The pipeline: paths -> load -> dialect -> run (resolve, pair) -> rules -> diagnostics.

Reporters get the result and never compute; rules never parse text.
"""

from __future__ import annotations

import os

from batchlint.loading import Document, LoadError, display_path, load_path
from batchlint.options import Options
from batchlint.rules import Diagnostic, FileContext, select_rules
from batchlint.run import Run
from batchlint.settings import settings_for

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
             ".ruff_cache", ".pytest_cache", "build", "dist"}


class Report:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.runs: list[Run] = []
        self.sources: dict[str, str] = {}  # display path -> text, for snippets
        self.files = 0
        self.internal_errors: list[str] = []
        self.unsafe_fixes = False  # whether unsafe fixes count as applicable (for the [*] marks)


def discover(paths: list[str], force_exclude: bool = False) -> list[str]:
    """Files to check: directories walked for YAML/JSON (minus `exclude`), named files as given
    (minus `exclude` too with --force-exclude, which pre-commit hooks want)."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for directory, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for f in sorted(files):
                    full = os.path.join(directory, f)
                    if f.endswith(CONFIG_SUFFIXES) and not settings_for(full).excluded(full):
                        out.append(full)
        elif not (force_exclude and settings_for(path).excluded(path)):
            out.append(path)
    return out


class _Loader:
    """Loads each file once per invocation (a launch config shared by many training configs).

    `overlay` maps absolute paths to text that stands in for the file on disk: fixes are
    applied and re-checked in memory before anything is written.
    """

    def __init__(self, overlay: dict[str, str] | None = None) -> None:
        self.cache: dict[str, Document | LoadError] = {}
        self.overlay = overlay or {}

    def __call__(self, path: str) -> Document:
        key = os.path.abspath(path)
        hit = self.cache.get(key)
        if hit is None:
            try:
                if key in self.overlay:
                    from batchlint.loading import load_text

                    hit = load_text(display_path(path), self.overlay[key])
                else:
                    hit = load_path(path, display_path(path))
            except LoadError as exc:
                hit = exc
            self.cache[key] = hit
        if isinstance(hit, LoadError):
            raise hit
        return hit


SCRIPT_SUFFIXES = (".sh", ".slurm", ".bash")


def _settings(path: str) -> dict[str, object]:
    settings = settings_for(path)
    merged = settings.for_file(path)
    if settings.path:
        merged["_path"] = display_path(settings.path)
    return merged


def analyse_script(path: str, options: Options, load: _Loader) -> list[FileContext]:
    """A launch script: the run of each training config it launches, or, when its launch line
    alone describes the training (`--train_batch_size ...`), that run."""
    from batchlint.dialects import detect
    from batchlint.dialects.shell import SHELL_DIALECT, launches, script_arg_facts
    from batchlint.facts import Fact
    from batchlint.launch_scripts import resolve_from_script
    from batchlint.loading.text import decode
    from batchlint.run import build_run

    shown = display_path(path)
    try:
        if os.path.abspath(path) in load.overlay:
            text = load.overlay[os.path.abspath(path)]
        else:
            with open(path, "rb") as fh:
                text = decode(shown, fh.read())
    except LoadError as exc:
        ctx = FileContext(shown)
        ctx.load_error = exc
        return [ctx]
    except OSError as exc:
        ctx = FileContext(shown)
        ctx.load_error = LoadError(shown, 1, 1, f"cannot read: {exc.strerror or exc}")
        return [ctx]
    contexts: list[FileContext] = []
    for launch in launches(path, text):
        word = launch.training_config()
        config = resolve_from_script(word.text, path) if word is not None and not word.unresolved else None
        if config is not None:
            try:
                doc = load(config)
            except LoadError:
                doc = None
            dialect = detect(doc.root, config) if doc is not None else None
            if doc is not None and dialect is not None and dialect.kind == "training":
                ctx = FileContext(doc.path)
                ctx.doc = doc
                ctx.run = build_run(doc, config, dialect, options.launch, _settings(config), load, launch=launch)
                contexts.append(ctx)
                continue
        given = script_arg_facts(launch, shown)
        if given:
            given.setdefault("grad_accum", Fact("grad_accum", 1, "default", note="no accumulation flag: the script's default 1 applies"))
            ctx = FileContext(shown)
            ctx.run = build_run(None, path, SHELL_DIALECT, options.launch, _settings(path), load, launch=launch, given_facts=given)
            contexts.append(ctx)
    return contexts or [FileContext(shown)]


def analyse(path: str, options: Options, load: _Loader) -> FileContext:
    from batchlint.dialects import detect
    from batchlint.run import build_run

    ctx = FileContext(display_path(path))
    try:
        ctx.doc = load(path)
    except LoadError as exc:
        ctx.load_error = exc
        return ctx
    from batchlint.dialects import user_dialect

    dialect = detect(ctx.doc.root, path, [user_dialect(d) for d in settings_for(path).dialects])
    if dialect is None:
        return ctx
    ctx.run = build_run(ctx.doc, path, dialect, options.launch, _settings(path), load)
    return ctx


_script_stats: dict[str, list[tuple[str, int, int]]] = {}  # project root -> its launch scripts, stat'ed once per run


def _context(path: str, options: Options) -> str:
    """Everything besides file contents that a file's result depends on (for the cache key)."""
    import dataclasses
    import json

    from batchlint import __version__
    from batchlint.launch_scripts import project_root, scripts_under

    settings = settings_for(path)
    launch = options.launch
    root = project_root(path)
    scripts = _script_stats.get(root)
    if scripts is None:
        scripts = []
        for script in scripts_under(root):
            try:
                st = os.stat(script)
                scripts.append((script, st.st_size, st.st_mtime_ns))
            except OSError:
                pass
        _script_stats[root] = scripts
    from batchlint.cache import code_fingerprint

    return json.dumps({
        "version": __version__, "code": code_fingerprint(), "cwd": os.getcwd(), "settings": settings.path, "values": settings.values,
        "runs": [(r.configs, r.values) for r in settings.runs], "dialects": settings.dialects,
        "select": options.select, "ignore": options.ignore,
        "launch": dataclasses.asdict(launch),
        "env": {k: os.environ.get(k) for k in ("HF_HOME", "XDG_CACHE_HOME")}, "scripts": scripts,
    }, sort_keys=True, default=str)


def _deps(path: str, contexts: list[FileContext]) -> list[str]:
    deps = [path]
    for ctx in contexts:
        run = ctx.run
        if run is None:
            continue
        deps.extend(os.path.abspath(doc.path) for doc in run.documents)
        if run.launch_script:
            deps.append(os.path.abspath(run.launch_script))
    return deps


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def check(paths: list[str], options: Options, overlay: dict[str, str] | None = None, use_cache: bool = False) -> Report:
    from batchlint import cache
    from batchlint.launch_scripts import set_overlay

    report = Report()
    load = _Loader(overlay)
    set_overlay(overlay or {})
    use_cache = use_cache and not overlay
    seen: set[tuple[object, ...]] = set()
    for path in discover(paths, options.force_exclude):
        report.files += 1
        context = _context(path, options) if use_cache else ""
        cached = cache.load(path, context) if use_cache else None
        if cached is not None:
            for item in cached:
                diag = cache.from_dict(item)
                key = (diag.code, diag.span.file, diag.span.line, diag.span.column, diag.message)
                if key not in seen:
                    seen.add(key)
                    report.diagnostics.append(diag)
            for file in {display_path(path), *(d["span"][0] for d in cached)}:
                if file not in report.sources:
                    text = _read_text(file)
                    if text is not None:
                        report.sources[file] = text
            continue
        file_diagnostics: list[Diagnostic] = []
        try:
            contexts = analyse_script(path, options, load) if path.endswith(SCRIPT_SUFFIXES) else [analyse(path, options, load)]
            file_settings = settings_for(path)
            select = options.select if options.select is not None else file_settings.select()
            rules = select_rules(select, (options.ignore or []) + file_settings.ignores_for(path))
            for ctx in contexts:
                for rule in rules:
                    for diag in rule.check(ctx):
                        file_diagnostics.append(diag)
                        # A launch config shared by several runs is reported once.
                        key = (diag.code, diag.span.file, diag.span.line, diag.span.column, diag.message)
                        if key not in seen:
                            seen.add(key)
                            report.diagnostics.append(diag)
        except RecursionError:
            report.internal_errors.append(f"{display_path(path)}: nested too deeply to analyse")
            continue
        except Exception as exc:  # a bug in batchlint must not cost the user the other files
            report.internal_errors.append(f"{display_path(path)}: internal error {type(exc).__name__}: {exc}")
            continue
        for ctx in contexts:
            if ctx.run is not None:
                report.runs.append(ctx.run)
                for doc in ctx.run.documents:
                    report.sources.setdefault(doc.path, doc.text)
                if ctx.run.script_source is not None:
                    report.sources.setdefault(*ctx.run.script_source)
            elif ctx.doc is not None:
                report.sources.setdefault(ctx.doc.path, ctx.doc.text)
        if use_cache:
            cache.store(path, context, _deps(path, contexts), file_diagnostics)
    _apply_suppressions(report, options)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def _apply_suppressions(report: Report, options: Options) -> None:
    """Drop what `# batchlint: ignore[...]` comments silence; report the comments that silence nothing."""
    from batchlint.fixes import SAFE, Edit, Fix
    from batchlint.rules import BY_CODE
    from batchlint.suppression import Suppressions

    files = {f: Suppressions(f, text) for f, text in report.sources.items() if "batchlint:" in text}
    if not files:
        return
    kept = []
    for d in report.diagnostics:
        sup = files.get(d.span.file)
        if sup is None or not sup.suppresses(d.code, d.name, d.span.line):
            kept.append(d)
    report.diagnostics = kept
    rule = BY_CODE["BL008"]
    for file, sup in files.items():
        file_settings = settings_for(file)
        select = options.select if options.select is not None else file_settings.select()
        if rule not in select_rules(select, (options.ignore or []) + file_settings.ignores_for(file)):
            continue
        for directive in sup.unused():
            c = directive.comment
            text = sup.text
            line_start = text.rfind("\n", 0, c.span.start) + 1
            if directive.own_line:
                end = text.find("\n", c.span.end)
                edit = Edit(file, line_start, len(text) if end < 0 else end + 1, "", c.line, 1, c.line + 1, 1)
            else:
                start = c.span.start
                while start > line_start and text[start - 1] in " \t":
                    start -= 1
                edit = Edit(file, start, c.span.end, "", c.line, c.column, c.line, c.span.end_column)
            what = c.text.strip()
            report.diagnostics.append(rule.report(f"`{what}` silences nothing here", c.span, "remove it",
                                                  fix=Fix(f"remove `{what}`", SAFE, [edit])))


class FixResult:
    def __init__(self, report: Report) -> None:
        self.report = report  # what remains after fixing
        self.applied: list[Diagnostic] = []  # findings whose fixes were applied
        self.changed: dict[str, tuple[str, str]] = {}  # display path -> (old text, new text)
        self.errors: list[str] = []  # fixes refused or reverted, one line each


MAX_FIX_ROUNDS = 4


def _edited(diag: Diagnostic) -> set[str]:
    """The files a finding's fix edits (absolute paths)."""
    return {os.path.abspath(e.file) for e in diag.fix.edits} if diag.fix is not None else set()


def fix(paths: list[str], options: Options, unsafe: bool = False, write: bool = True,
        given: dict[str, str] | None = None) -> FixResult:
    """Apply applicable fixes in memory, re-check until nothing fixable is left (bounded),
    verify the intended values read back, then write every changed file atomically."""
    from batchlint.fixes import Edit, FixConflict, WriteError, apply_edits, write_atomic
    from batchlint.loading import load_text

    overlay: dict[str, str] = dict(given or {})  # absolute path -> current text (stdin starts here)
    originals: dict[str, str] = dict(given or {})  # absolute path -> text as first read
    applied: list[Diagnostic] = []
    errors: list[str] = []
    report = check(paths, options, overlay or None)
    for _ in range(MAX_FIX_ROUNDS):
        pending = [d for d in report.diagnostics if d.fix is not None and d.fix.applies(unsafe)]
        if not pending:
            break
        chosen: dict[str, list[Edit]] = {}
        round_applied: list[Diagnostic] = []
        for diag in pending:
            assert diag.fix is not None
            edits_by_file: dict[str, list[Edit]] = {}
            for edit in diag.fix.edits:
                edits_by_file.setdefault(os.path.abspath(edit.file), []).append(edit)
            clash = any(e.start < o.end and o.start < e.end and (e.start, e.end, e.text) != (o.start, o.end, o.text)
                        for f, es in edits_by_file.items() for e in es for o in chosen.get(f, []))
            if clash:
                continue  # another fix touches the same value this round; the next round re-checks
            for f, es in edits_by_file.items():
                chosen.setdefault(f, []).extend(es)
            round_applied.append(diag)
        progressed = False
        for file, edits in chosen.items():
            old = overlay.get(file)
            if old is None:
                old = report.sources.get(display_path(file))
                if old is None:
                    continue
                originals.setdefault(file, old)
            try:
                new = apply_edits(old, edits)
                load_text(display_path(file), new)  # a result that would not parse is never kept
            except (FixConflict, LoadError) as exc:
                errors.append(f"{display_path(file)}: fix not applied: {exc}")
                round_applied = [d for d in round_applied if file not in _edited(d)]
                continue
            if new != old:
                overlay[file] = new
                progressed = True
        applied.extend(round_applied)
        if not progressed:
            break
        report = check(paths, options, overlay)

    # Read back: every fixed value must now be what its fix intended; otherwise drop that file's changes.
    bad_files: set[str] = set()
    runs = {run.config: run for run in report.runs}
    superseded: set[tuple[str, str]] = set()  # a later round's fix of the same value wins
    for diag in reversed(applied):
        assert diag.fix is not None
        for exp in diag.fix.expect:
            if (exp.config, exp.fact) in superseded:
                continue
            run = runs.get(exp.config)
            fact = None if run is None else (run.accumulation if exp.fact == "accumulation" else run.facts.get(exp.fact))
            if fact is None or fact.value != exp.value:
                got = "nothing" if fact is None else repr(fact.value)
                errors.append(f"{exp.config}: {diag.code} fix reverted: {exp.fact} reads back as {got}, not {exp.value!r}")
                bad_files.update(os.path.abspath(e.file) for e in diag.fix.edits)
        superseded.update((exp.config, exp.fact) for exp in diag.fix.expect)
    if bad_files:
        for file in bad_files:
            overlay.pop(file, None)
        applied = [d for d in applied if not _edited(d) & bad_files]
        report = check(paths, options, overlay)

    result = FixResult(report)
    for file, new in overlay.items():
        old = originals[file]
        if new == old:
            continue
        if write:
            try:
                write_atomic(file, new, old)
            except (WriteError, OSError) as exc:
                errors.append(f"{display_path(file)}: {exc}")
                applied = [d for d in applied if file not in _edited(d)]
                continue
        result.changed[display_path(file)] = (old, new)
    if write and errors:
        # What was not written must be re-checked from disk, so the remaining count is honest.
        written = {os.path.abspath(f): t[1] for f, t in result.changed.items()}
        result.report = check(paths, options, written)
    result.applied = applied
    result.errors = errors
    result.report.unsafe_fixes = unsafe
    return result
