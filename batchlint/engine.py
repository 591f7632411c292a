"""The pipeline: paths -> load -> dialect -> run (resolve, pair) -> rules -> diagnostics.

Reporters get the result and never compute; rules never parse text.
"""

from __future__ import annotations

import os

from batchlint.loading import Document, LoadError, load_path
from batchlint.rules import Diagnostic, FileContext, select_rules
from batchlint.run import LaunchOptions, Run
from batchlint.settings import settings_for

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
             ".ruff_cache", ".pytest_cache", "build", "dist"}


class Options:
    def __init__(self, launch: LaunchOptions | None = None, select: list[str] | None = None,
                 ignore: list[str] | None = None) -> None:
        self.launch = launch or LaunchOptions()
        self.select = select
        self.ignore = ignore


class Report:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.runs: list[Run] = []
        self.sources: dict[str, str] = {}  # display path -> text, for snippets
        self.files = 0
        self.internal_errors: list[str] = []


def display_path(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def discover(paths: list[str]) -> list[str]:
    """Files to check: explicit files as given, directories walked for YAML/JSON."""
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for directory, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                out.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(CONFIG_SUFFIXES))
        else:
            out.append(path)
    return out


class _Loader:
    """Loads each file once per invocation (a launch config shared by many training configs)."""

    def __init__(self) -> None:
        self.cache: dict[str, Document | LoadError] = {}

    def __call__(self, path: str) -> Document:
        key = os.path.abspath(path)
        hit = self.cache.get(key)
        if hit is None:
            try:
                hit = load_path(path, display_path(path))
            except LoadError as exc:
                hit = exc
            self.cache[key] = hit
        if isinstance(hit, LoadError):
            raise hit
        return hit


def analyse(path: str, options: Options, load: _Loader) -> FileContext:
    from batchlint.dialects import detect
    from batchlint.run import build_run

    ctx = FileContext(display_path(path))
    try:
        ctx.doc = load(path)
    except LoadError as exc:
        ctx.load_error = exc
        return ctx
    dialect = detect(ctx.doc.root, path)
    if dialect is None:
        return ctx
    settings = settings_for(path)
    merged = settings.for_file(path)
    if settings.path:
        merged["_path"] = display_path(settings.path)
    ctx.run = build_run(ctx.doc, path, dialect, options.launch, merged, load)
    return ctx


def check(paths: list[str], options: Options) -> Report:
    report = Report()
    load = _Loader()
    for path in discover(paths):
        report.files += 1
        try:
            ctx = analyse(path, options, load)
            settings = settings_for(path).values
            select = options.select if options.select is not None else settings.get("select")
            ignore = (options.ignore or []) + (settings.get("ignore") or [])
            for rule in select_rules(select, ignore):
                report.diagnostics.extend(rule.check(ctx))
        except RecursionError:
            report.internal_errors.append(f"{display_path(path)}: nested too deeply to analyse")
            continue
        except Exception as exc:  # a bug in batchlint must not cost the user the other files
            report.internal_errors.append(f"{display_path(path)}: internal error {type(exc).__name__}: {exc}")
            continue
        if ctx.run is not None:
            report.runs.append(ctx.run)
            for doc in ctx.run.documents:
                report.sources.setdefault(doc.path, doc.text)
        elif ctx.doc is not None:
            report.sources.setdefault(ctx.doc.path, ctx.doc.text)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
