"""The language server: LSP over stdio, on pygls.

Diagnostics are published on open and, debounced, on change, from the unsaved buffers; hovers,
inlay hints and code actions are answered from the check of the buffer's current version.
Engine calls run one at a time on a worker thread (the engine is not re-entrant yet), so the
event loop keeps reading messages while a large buffer is checked.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

import batchlint.server.engine_api as api  # the modules, not the package: its __init__ starts this one
import batchlint.server.views as views
from batchlint import __version__
from batchlint.fixes import SAFE
from batchlint.server.convert import Positions, diagnostic, notice

DEBOUNCE_SECONDS = 0.2
FAULT_ENV = "BATCHLINT_SERVER_FAULT"  # comma-separated points (LSP methods, "diagnostics") that fail once: for tests
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.batchlint"
WATCHED = ("**/batchlint.toml", "**/pyproject.toml", "**/*.{yaml,yml,json}", "**/*.{sh,slurm,bash}")
_IGNORE = re.compile(r"batchlint:\s*ignore\b(\[[^\]]*\])?")

log = logging.getLogger("batchlint.server")
T = TypeVar("T")


@dataclass
class Snapshot:
    """The check of one open document at one version, with the texts the engine read."""

    version: int | None
    checked: api.Checked
    overlay: dict[str, str]
    positions: dict[str, Positions] = field(default_factory=dict)  # displayed file -> its positions
    fix_all: dict[str, tuple[str, str]] | None = None  # computed on the first code-action request


class Batchlint:
    """The server's state: open documents, their last checks, the debounce timers."""

    def __init__(self) -> None:
        self.ls = LanguageServer("batchlint", __version__)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batchlint-engine")
        self.open: dict[str, str] = {}  # uri -> absolute path
        self.snapshots: dict[str, Snapshot] = {}
        self.timers: dict[str, asyncio.Task[None]] = {}
        self.faults = {p.strip() for p in os.environ.get(FAULT_ENV, "").split(",") if p.strip()}
        self._register()

    # -- plumbing ---------------------------------------------------------------------------

    def fault(self, point: str) -> None:
        """Fail once at `point` when the environment asks for it (how the tests crash a request)."""
        if point in self.faults:
            self.faults.discard(point)
            raise RuntimeError(f"fault injected at {point} ({FAULT_ENV})")

    async def engine(self, fn: Callable[..., T], *args: Any) -> T:
        """Run an engine call on the worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))

    def log_crash(self, what: str, exc: BaseException) -> str:
        line = f"batchlint: {what} failed: {type(exc).__name__}: {exc}"
        detail = "".join(traceback.format_exception(exc))
        log.error("%s\n%s", line, detail)
        try:
            self.ls.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=f"{line}\n{detail}"))
        except Exception:  # the client is gone: stderr has it
            pass
        return line

    @property
    def encoding(self) -> str:
        try:
            encoding = self.ls.server_capabilities.position_encoding
        except AttributeError:  # before initialize
            encoding = None
        return str(encoding or types.PositionEncodingKind.Utf16)

    def text(self, uri: str) -> tuple[int | None, str]:
        doc = self.ls.workspace.get_text_document(uri)
        return doc.version, doc.source

    def overlay(self) -> dict[str, str]:
        """Every open buffer the engine may read, by absolute path."""
        return {path: self.text(uri)[1] for uri, path in self.open.items() if api.checkable(path)}

    def uri_of(self, shown: str) -> str:
        path = os.path.abspath(shown)
        for uri, open_path in self.open.items():
            if open_path == path:
                return uri
        return from_fs_path(path) or path

    def positions(self, snap: Snapshot, shown: str) -> Positions:
        hit = snap.positions.get(shown)
        if hit is None:
            hit = snap.positions[shown] = Positions(api.text_of(snap.checked, shown, snap.overlay) or "", self.encoding)
        return hit

    # -- checking and publishing ------------------------------------------------------------

    def schedule(self, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        old = self.timers.pop(uri, None)
        if old is not None:
            old.cancel()
        self.timers[uri] = asyncio.ensure_future(self._later(uri, delay))

    async def _later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.timers.pop(uri, None)
        await self.refresh(uri)

    def schedule_dependents(self, path: str) -> None:
        """Re-check the open documents whose last check read `path` (a launch config, an include)."""
        for uri, snap in list(self.snapshots.items()):
            if uri in self.open and self.open[uri] != path and path in snap.checked.deps:
                self.schedule(uri)

    def schedule_all(self) -> None:
        for uri in list(self.open):
            self.schedule(uri)

    async def refresh(self, uri: str) -> Snapshot | None:
        """Check an open document's current text and publish its diagnostics."""
        path = self.open.get(uri)
        if path is None or not api.checkable(path):
            return None
        version, _ = self.text(uri)
        overlay = self.overlay()
        try:
            self.fault("diagnostics")
            checked = await self.engine(api.check_file, path, overlay)
        except Exception as exc:
            line = self.log_crash(f"checking {api.shown_path(path)}", exc)
            self.publish(uri, version, [notice(f"{line} (see the server log); the next edit checks again")])
            return None
        if uri not in self.open:  # closed while it was checked
            return None
        snap = Snapshot(version, checked, overlay)
        self.snapshots[uri] = snap
        try:
            self.publish(uri, version, self.diagnostics(snap, path))
        except Exception as exc:
            line = self.log_crash(f"publishing the diagnostics of {api.shown_path(path)}", exc)
            self.publish(uri, version, [notice(f"{line} (see the server log)")])
        return snap

    def diagnostics(self, snap: Snapshot, path: str) -> list[types.Diagnostic]:
        out = [diagnostic(d, lambda shown: self.positions(snap, shown), self.uri_of, api.rule_url) for d in api.diagnostics_for(snap.checked, path)]
        if snap.checked.error:
            out.insert(0, notice(snap.checked.error))
        out.extend(notice(f"batchlint internal error: {err} (please report it)") for err in api.internal_errors(snap.checked))
        return out

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    async def current(self, uri: str) -> Snapshot | None:
        """The check of the document's current version (checking it now when the last one is older)."""
        snap = self.snapshots.get(uri)
        if snap is not None and uri in self.open and snap.version == self.text(uri)[0]:
            return snap
        return await self.refresh(uri)

    # -- features ---------------------------------------------------------------------------

    def _register(self) -> None:
        ls = self.ls

        def request(method: str, options: Any = None) -> Callable[[Callable[[Any], Awaitable[Any]]], Any]:
            """Register a request handler whose crash is logged and answered with a one-line error."""

            def register(fn: Callable[[Any], Awaitable[Any]]) -> Any:
                async def handler(params: Any) -> Any:
                    try:
                        self.fault(method)
                        return await fn(params)
                    except Exception as exc:
                        raise JsonRpcInternalError(message=self.log_crash(method, exc)) from None

                return ls.feature(method, options)(handler)

            return register

        def notification(method: str, options: Any = None) -> Callable[[Callable[[Any], Awaitable[None] | None]], Any]:
            """Register a notification handler whose crash is logged and never stops the server."""

            def register(fn: Callable[[Any], Awaitable[None] | None]) -> Any:
                async def handler(params: Any) -> None:
                    try:
                        self.fault(method)
                        result = fn(params)
                        if result is not None:
                            await result
                    except Exception as exc:
                        self.log_crash(method, exc)

                return ls.feature(method, options)(handler)

            return register

        @notification(types.INITIALIZED)
        async def initialized(params: types.InitializedParams) -> None:
            await self.engine(api.warm_up)
            caps = ls.client_capabilities.workspace
            watch = caps.did_change_watched_files if caps is not None else None
            if watch is not None and watch.dynamic_registration:
                options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED])
                try:
                    await ls.client_register_capability_async(
                        types.RegistrationParams(
                            registrations=[
                                types.Registration(id="batchlint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
                            ]
                        )
                    )
                except Exception as exc:  # the client said it could, then refused: saving a file still refreshes
                    log.info("watching files: the client refused: %s", exc)

        @notification(types.TEXT_DOCUMENT_DID_OPEN)
        async def did_open(params: types.DidOpenTextDocumentParams) -> None:
            uri = params.text_document.uri
            path = to_fs_path(uri) if uri.startswith("file:") else None
            if path is None:
                return
            path = os.path.abspath(path)
            self.open[uri] = path
            if api.checkable(path):
                await self.refresh(uri)
                self.schedule_dependents(path)

        @notification(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(params: types.DidChangeTextDocumentParams) -> None:
            uri = params.text_document.uri
            path = self.open.get(uri)
            if path is not None and api.checkable(path):
                self.schedule(uri)
                self.schedule_dependents(path)

        @notification(types.TEXT_DOCUMENT_DID_SAVE)
        def did_save(params: types.DidSaveTextDocumentParams) -> None:
            path = self.open.get(params.text_document.uri)
            if path is None:
                return
            if api.is_settings_file(path):
                self.schedule_all()
            else:
                self.schedule_dependents(path)

        @notification(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(params: types.DidCloseTextDocumentParams) -> None:
            uri = params.text_document.uri
            path = self.open.pop(uri, None)
            self.snapshots.pop(uri, None)
            timer = self.timers.pop(uri, None)
            if timer is not None:
                timer.cancel()
            if path is not None and api.checkable(path):
                self.publish(uri, None, [])
                self.schedule_dependents(path)  # they read the file from disk again

        @notification(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
        def watched(params: types.DidChangeWatchedFilesParams) -> None:
            # Settings, launch configs, includes and scripts changed on disk: anything open may depend on them.
            self.schedule_all()

        @request(types.TEXT_DOCUMENT_HOVER)
        async def hover(params: types.HoverParams) -> types.Hover | None:
            uri = params.text_document.uri
            snap = await self.current(uri)
            if snap is None:
                return None
            path = self.open[uri]
            for run in api.runs_for(snap.checked, path):
                fact = views.hovered(run, path, params.position.line + 1)
                if fact is not None and fact.span is not None:
                    return types.Hover(
                        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=views.hover_markdown(run)),
                        range=self.positions(snap, fact.span.file).span(fact.span),
                    )
            return None

        @request(types.TEXT_DOCUMENT_INLAY_HINT)
        async def inlay_hint(params: types.InlayHintParams) -> list[types.InlayHint]:
            uri = params.text_document.uri
            snap = await self.current(uri)
            if snap is None:
                return []
            path = self.open[uri]
            hints = []
            for run in api.runs_for(snap.checked, path):
                label = views.arithmetic(run)
                for fact in views.hinted(run, path):
                    assert fact.span is not None
                    at = self.positions(snap, fact.span.file).span(fact.span).end
                    if params.range.start.line <= at.line <= params.range.end.line:
                        hints.append(
                            types.InlayHint(
                                position=at,
                                label=label,
                                padding_left=True,
                                tooltip=f"per-device batch × data-parallel processes × accumulation = total ({run.config})",
                            )
                        )
            return hints

        @request(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND]),
        )
        async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
            uri = params.text_document.uri
            snap = await self.current(uri)
            if snap is None:
                return []
            actions = self.code_actions(snap, uri, params.range)
            if any(d.fix is not None and d.fix.applicability == SAFE for d in api.fixes_for(snap.checked, self.open[uri])):
                if snap.fix_all is None:
                    snap.fix_all = await self.engine(api.fix_all_safe, self.open[uri], snap.overlay)
                if snap.fix_all:
                    actions.append(types.CodeAction(title="batchlint: fix all safe", kind=FIX_ALL_KIND, edit=self.replacements(snap, snap.fix_all)))
            only = params.context.only
            if only:
                actions = [a for a in actions if a.kind is not None and any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
            return actions

        @ls.feature(types.SHUTDOWN)
        def shutdown(params: Any) -> None:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
            self.executor.shutdown(wait=False, cancel_futures=True)

    # -- code actions -----------------------------------------------------------------------

    def code_actions(self, snap: Snapshot, uri: str, wanted: types.Range) -> list[types.CodeAction]:
        path = self.open[uri]
        own = self.positions(snap, api.shown_path(path))
        actions: list[types.CodeAction] = []
        for d in api.diagnostics_for(snap.checked, path):
            where = own.span(d.span)
            if (where.end.line, where.end.character) < (wanted.start.line, wanted.start.character) or (where.start.line, where.start.character) > (
                wanted.end.line,
                wanted.end.character,
            ):
                continue
            lsp = diagnostic(d, lambda shown: self.positions(snap, shown), self.uri_of, api.rule_url)
            fix = d.fix
            if fix is not None and fix.edits and d in api.fixes_for(snap.checked, path):
                changes: dict[str, list[types.TextEdit]] = {}
                for e in fix.edits:
                    changes.setdefault(self.uri_of(e.file), []).append(self.positions(snap, e.file).edit(e))
                actions.append(
                    types.CodeAction(
                        title=f"{d.code}: {fix.message} ({fix.applicability} fix)",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp],
                        is_preferred=fix.applicability == SAFE,
                        edit=types.WorkspaceEdit(changes=changes),
                    )
                )
            ignore = self.ignore_edit(own, where.start.line, d.code, path)
            if ignore is not None:
                actions.append(
                    types.CodeAction(
                        title=f"batchlint: ignore {d.code} on this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[lsp],
                        edit=types.WorkspaceEdit(changes={uri: [ignore]}),
                    )
                )
        return actions

    @staticmethod
    def ignore_edit(own: Positions, line: int, code: str, path: str) -> types.TextEdit | None:
        """`# batchlint: ignore[CODE]` at the end of the line, or CODE added to the one already there."""
        if path.endswith(".json"):
            return None  # JSON has no comments
        text = own.line_text(line)
        if path.endswith(api.SCRIPT_SUFFIXES) and text.rstrip().endswith("\\"):
            return None  # a comment would end the continued command
        found = _IGNORE.search(text)
        if found is not None:
            if found.group(1) is None:
                return None  # already ignores every rule here
            at = found.end(1) - 1  # before the closing bracket
            position = own.at(own.starts[line] + at)
            return types.TextEdit(range=types.Range(position, position), new_text=f", {code}")
        end = own.at(own.starts[line] + len(text))
        return types.TextEdit(range=types.Range(end, end), new_text=f"  # batchlint: ignore[{code}]")

    def replacements(self, snap: Snapshot, changed: dict[str, tuple[str, str]]) -> types.WorkspaceEdit:
        changes = {}
        for path, (old, new) in changed.items():
            changes[self.uri_of(path)] = [types.TextEdit(range=Positions(old, self.encoding).whole(), new_text=new)]
        return types.WorkspaceEdit(changes=changes)


def serve() -> int:
    logging.basicConfig(level=os.environ.get("BATCHLINT_SERVER_LOG_LEVEL", "WARNING").upper(), format="%(name)s: %(levelname)s: %(message)s")
    Batchlint().ls.start_io()
    return 0
