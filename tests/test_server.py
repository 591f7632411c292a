"""`batchlint server` driven as an editor drives it: a subprocess spoken to over stdio by a real LSP
client (pytest-lsp), never by calling the server's Python objects."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp", reason="the server tests need the test extra (pytest-lsp)")

import pytest_lsp  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "server" / "musev"
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
SERVER = [sys.executable, "-m", "batchlint", "server"]


def config(env: dict[str, str] | None = None) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER, server_env={**os.environ, **(env or {})}, client_factory=make_client)


def template_folder(tmp_path: Path) -> Path:
    """MuseV's template in a folder whose batchlint.toml says 16 processes, target 224, A100-80GB."""
    folder = tmp_path / "musev"
    shutil.copytree(FIXTURE, folder)
    return folder


@dataclass
class Opened:
    folder: Path
    path: Path
    doc: str
    text: str
    first: types.PublishDiagnosticsParams  # the diagnostics published on open


async def open_template(
    client: LanguageClient, tmp_path: Path, settings: str | None = None, files: dict[str, str] | None = None, edit: Callable[[str], str] = lambda text: text
) -> Opened:
    """Initialize in the template's folder (its batchlint.toml replaced by `settings`; "" removes it;
    `files` written beside it), open the template (`edit`ed), and wait for its first diagnostics."""
    folder = template_folder(tmp_path)
    if settings == "":
        (folder / "batchlint.toml").unlink()
    elif settings is not None:
        (folder / "batchlint.toml").write_text(settings, encoding="utf-8")
    for name, content in (files or {}).items():
        (folder / name).write_text(content, encoding="utf-8")
    path = folder / "train_template.yaml"
    text = edit(path.read_text(encoding="utf-8"))
    doc = uri(path)
    await start(client, folder)
    first = await published(client, doc, open_doc(client, doc, text))
    return Opened(folder, path, doc, text, first)


def uri(path: Path) -> str:
    found = from_fs_path(str(path))
    assert found is not None
    return found


async def start(client: LanguageClient, root: Path, capabilities: str = "visual-studio-code") -> None:
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(capabilities), root_uri=uri(root), workspace_folders=[types.WorkspaceFolder(uri=uri(root), name=root.name)]
        )
    )


async def published(client: LanguageClient, doc: str, send: Callable[[], None], timeout: float = 30.0) -> types.PublishDiagnosticsParams:
    """Do `send`, then wait for the next diagnostics the server publishes for `doc`."""
    assert isinstance(client, Client)
    queue = client.queue(doc)
    while not queue.empty():
        queue.get_nowait()
    send()
    return await asyncio.wait_for(queue.get(), timeout)


def open_doc(client: LanguageClient, doc: str, text: str, language: str = "yaml") -> Callable[[], None]:
    return lambda: client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=doc, language_id=language, version=1, text=text))
    )


def change_doc(client: LanguageClient, doc: str, version: int, text: str) -> Callable[[], None]:
    return lambda: client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def offset(text: str, position: types.Position) -> int:
    """A UTF-16 LSP position as an offset into `text`."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    units = 0
    for i, c in enumerate(lines[position.line] if position.line < len(lines) else ""):
        if units >= position.character:
            return start + i
        units += 2 if ord(c) > 0xFFFF else 1
    return start + (len(lines[position.line]) if position.line < len(lines) else 0)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    spans = sorted(((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def whole(text: str) -> types.Range:
    lines = text.split("\n")
    return types.Range(types.Position(line=0, character=0), types.Position(line=len(lines), character=0))


# -- the clients --------------------------------------------------------------------------------

pytestmark = pytest.mark.asyncio


class Client(LanguageClient):
    """pytest-lsp's client that also answers client/registerCapability, as an editor does, and queues
    every publication of diagnostics (a wait for the next one must not miss it)."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.registrations: list[types.Registration] = []
        self.published: dict[str, asyncio.Queue[types.PublishDiagnosticsParams]] = {}

    def queue(self, doc: str) -> asyncio.Queue[types.PublishDiagnosticsParams]:
        return self.published.setdefault(doc, asyncio.Queue())


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def _publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.queue(params.uri).put_nowait(params)


def make_client() -> Client:
    client = Client()
    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, PUBLISH: _publish, types.CLIENT_REGISTER_CAPABILITY: _register})
    return client


async def stopped(client: LanguageClient) -> None:
    """shutdown, then exit, unless the test did (pytest-lsp waits for the server to end)."""
    if client._server is not None and client._server.returncode is None:
        await asyncio.wait_for(client.shutdown_session(), 30)


@pytest_lsp.fixture(config=config())
async def client(lsp_client: Client) -> None:
    yield
    await stopped(lsp_client)


@pytest_lsp.fixture(config=config({"BATCHLINT_SERVER_FAULT": "diagnostics,textDocument/hover"}))
async def faulty(lsp_client: Client) -> None:
    yield
    await stopped(lsp_client)


def codes(params: types.PublishDiagnosticsParams) -> list[str]:
    return sorted(str(d.code) for d in params.diagnostics)


async def hints(client: LanguageClient, doc: str, text: str) -> list[types.InlayHint]:
    return list(
        await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=doc), range=whole(text))) or []
    )


def label(hint: types.InlayHint) -> str:
    return hint.label if isinstance(hint.label, str) else "".join(part.value for part in hint.label)


async def actions(client: LanguageClient, doc: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc), range=diagnostic.range, context=types.CodeActionContext(diagnostics=[diagnostic])
        )
    )
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


def edits_for(action: types.CodeAction, doc: str) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[doc])


# -- the template, end to end -------------------------------------------------------------------


async def test_template_diagnostics_hints_hover_fix_and_edit(client: LanguageClient, tmp_path: Path) -> None:
    # Open: diagnostics with BL102, codes, severities, rule links and the other factors as related locations.
    opened = await open_template(client, tmp_path)
    path, doc, text, first = opened.path, opened.doc, opened.text, opened.first
    assert "BL102" in codes(first), codes(first)
    bl102 = next(d for d in first.diagnostics if d.code == "BL102")
    assert bl102.range.start.line == 133 and bl102.severity == types.DiagnosticSeverity.Warning
    assert bl102.code_description is not None and bl102.code_description.href.endswith("#bl102")
    related = bl102.related_information or []
    assert sorted(r.location.range.start.line for r in related) == [131, 134]
    assert all(r.location.uri == doc for r in related)

    # Inlay hints on the per-device batch (line 132) and accumulation (line 135) keys, after their values.
    shown = await hints(client, doc, text)
    assert sorted(h.position.line for h in shown) == [131, 134]
    for hint in shown:
        assert label(hint) == "= 1 × 16 × 4 = 64 (16 processes: num-processes in batchlint.toml)"
    assert shown[0].position.character == len("  train_batch_size: 1")

    # Hover on the batch key: the facts with file:line, the memory estimate on the A100 and the target.
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line=131, character=4))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    body = hover.contents.value
    assert "train_template.yaml:132:21" in body and "train_template.yaml:135:32" in body, body
    assert "target **224** from target-total in" in body and "A100-80GB" in body and "main card (cuda:0)" in body, body

    # The BL101 quick fix: its edits make the total 224.
    bl101 = next(d for d in first.diagnostics if d.code == "BL101")
    fixes = [a for a in await actions(client, doc, bl101) if a.title.startswith("BL101:")]
    assert len(fixes) == 1 and fixes[0].kind == types.CodeActionKind.QuickFix and "(safe fix)" in fixes[0].title
    fixed = apply(text, edits_for(fixes[0], doc))
    assert "train_batch_size: 7" in fixed and "gradient_accumulation_steps: 2" in fixed

    # Edit the buffer (not saved): the diagnostics follow the buffer, and so does the total.
    after = await published(client, doc, change_doc(client, doc, 2, fixed))
    assert after.version == 2
    assert "BL101" not in codes(after) and "BL102" not in codes(after), codes(after)
    assert {label(h) for h in await hints(client, doc, fixed)} == {"= 7 × 16 × 2 = 224 (16 processes: num-processes in batchlint.toml)"}
    assert path.read_text(encoding="utf-8") == text  # nothing was written

    # Shutdown, then exit: the process ends with 0.
    await client.shutdown_session()
    assert client._server is not None and client._server.returncode == 0


async def test_ignore_on_this_line_and_fix_all_safe(client: LanguageClient, tmp_path: Path) -> None:
    opened = await open_template(client, tmp_path)
    doc, text, first = opened.doc, opened.text, opened.first
    bl102 = next(d for d in first.diagnostics if d.code == "BL102")
    found = await actions(client, doc, bl102)
    ignore = next(a for a in found if a.title == "batchlint: ignore BL102 on this line")
    ignored = apply(text, edits_for(ignore, doc))
    assert ignored.splitlines()[133].endswith("224 batch_size  # batchlint: ignore[BL102]")
    after = await published(client, doc, change_doc(client, doc, 2, ignored))
    assert "BL102" not in codes(after) and "BL008" not in codes(after), codes(after)

    fix_all = [a for a in await actions(client, doc, next(d for d in after.diagnostics if d.code == "BL101")) if a.title == "batchlint: fix all safe"]
    assert len(fix_all) == 1 and fix_all[0].kind == "source.fixAll.batchlint"
    all_fixed = apply(ignored, edits_for(fix_all[0], doc))
    final = await published(client, doc, change_doc(client, doc, 3, all_fixed))
    remaining = [d for d in final.diagnostics if d.data and d.data.get("fix") == "safe"]
    assert remaining == [], codes(final)
    assert "BL101" not in codes(final)


async def test_fix_all_safe_leaves_the_unsafe_fixes(client: LanguageClient, tmp_path: Path) -> None:
    # No target in settings: BL101's target comes from the comment, so its fix is unsafe; BL201's is safe.
    opened = await open_template(client, tmp_path, settings='num-processes = 16\ngpu = "A100-80GB"\n')
    bl101 = next(d for d in opened.first.diagnostics if d.code == "BL101")
    found = await actions(client, opened.doc, bl101)
    assert any(a.title.startswith("BL101:") and a.title.endswith("(unsafe fix)") and not a.is_preferred for a in found), [a.title for a in found]
    fix_all = next(a for a in found if a.title == "batchlint: fix all safe")
    fixed = apply(opened.text, edits_for(fix_all, opened.doc))
    assert "  train_batch_size: 4 # 单机\n" in fixed and "  gradient_accumulation_steps: 1\n" in fixed  # BL201's, not BL101's 7 × 2


async def test_ignore_joins_an_existing_comment(client: LanguageClient, tmp_path: Path) -> None:
    opened = await open_template(
        client, tmp_path, edit=lambda text: text.replace("  gradient_accumulation_steps: 4\n", "  gradient_accumulation_steps: 4  # batchlint: ignore[BL9]\n")
    )
    bl201 = next(d for d in opened.first.diagnostics if d.code == "BL201")
    ignore = next(a for a in await actions(client, opened.doc, bl201) if a.title == "batchlint: ignore BL201 on this line")
    assert apply(opened.text, edits_for(ignore, opened.doc)).splitlines()[134] == "  gradient_accumulation_steps: 4  # batchlint: ignore[BL9, BL201]"


async def test_processes_unknown_and_a_debounced_burst_of_edits(client: LanguageClient, tmp_path: Path) -> None:
    opened = await open_template(client, tmp_path, settings="target-total = 224\n")
    doc, text = opened.doc, opened.text
    assert "BL103" in codes(opened.first), codes(opened.first)
    assert {label(h) for h in await hints(client, doc, text)} == {"= 1 × ? × 4 (processes unknown)"}

    # Five edits 20 ms apart: one check, of the last version, 200 ms after it.
    assert isinstance(client, Client)
    queue = client.queue(doc)
    for version in range(2, 7):
        change_doc(client, doc, version, text.replace("train_batch_size: 1", f"train_batch_size: {version}"))()
        await asyncio.sleep(0.02)
    last = await asyncio.wait_for(queue.get(), 30)
    assert last.version == 6
    await asyncio.sleep(0.6)
    assert queue.empty()
    assert {label(h) for h in await hints(client, doc, text.replace("train_batch_size: 1", "train_batch_size: 6"))} == {"= 6 × ? × 4 (processes unknown)"}


# -- what a check depends on --------------------------------------------------------------------


async def test_a_launch_config_buffer_refreshes_the_training_config(client: LanguageClient, tmp_path: Path) -> None:
    launch_text = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_machines: 1\nnum_processes: 16\nmixed_precision: fp16\n"
    opened = await open_template(
        client, tmp_path, settings='accelerate-config = "accelerate.yaml"\ntarget-total = 224\n', files={"accelerate.yaml": launch_text}
    )
    launch = opened.folder / "accelerate.yaml"
    train_doc, launch_doc, first = opened.doc, uri(launch), opened.first
    assert any("1 per device × 16 processes × 4 accumulation" in d.message for d in first.diagnostics), [d.message for d in first.diagnostics]
    await published(client, launch_doc, open_doc(client, launch_doc, launch_text))
    # Unsaved: 8 processes in the launch config's buffer re-checks the open training config.
    again = await published(client, train_doc, change_doc(client, launch_doc, 2, launch_text.replace("num_processes: 16", "num_processes: 8")))
    assert any("1 per device × 8 processes × 4 accumulation" in d.message for d in again.diagnostics), [d.message for d in again.diagnostics]
    assert "num_processes: 16" in launch.read_text(encoding="utf-8")


async def test_settings_reload_when_they_change_on_disk(client: LanguageClient, tmp_path: Path) -> None:
    opened = await open_template(client, tmp_path, settings="")
    doc, first = opened.doc, opened.first
    settings = opened.folder / "batchlint.toml"
    settings_text = (FIXTURE / "batchlint.toml").read_text(encoding="utf-8")
    assert "BL103" in codes(first), codes(first)  # no settings: the process count is unknown
    assert isinstance(client, Client)
    watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert len(watched) == 1  # VS Code's capabilities say it watches files for the server

    # A new settings file, saved from the editor (which need not watch files): read at once.
    settings.write_text(settings_text, encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri(settings), language_id="toml", version=1, text=settings_text))
    )
    saved = await published(
        client, doc, lambda: client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(settings))))
    )
    assert any("× 16 processes" in d.message for d in saved.diagnostics), [d.message for d in saved.diagnostics]

    # Changed on disk, as the client's file watcher reports it.
    settings.write_text(settings_text.replace("num-processes = 16", "num-processes = 8"), encoding="utf-8")
    changed = await published(
        client,
        doc,
        lambda: client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri(settings), type=types.FileChangeType.Changed)])
        ),
    )
    assert any("× 8 processes" in d.message for d in changed.diagnostics), [d.message for d in changed.diagnostics]

    # A broken settings file is one diagnostic on the first line, not a dead server.
    settings.write_text('num-processes = "many"\n', encoding="utf-8")
    broken = await published(
        client,
        doc,
        lambda: client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri(settings), type=types.FileChangeType.Changed)])
        ),
    )
    assert len(broken.diagnostics) == 1 and broken.diagnostics[0].message.startswith("settings: "), broken.diagnostics
    assert "batchlint.toml" in broken.diagnostics[0].message


async def test_json_and_shell_launch_scripts(client: LanguageClient, tmp_path: Path) -> None:
    script = tmp_path / "launch.sh"
    script_text = (
        "#!/bin/bash\n# global batch size: 128\naccelerate launch --num_processes 8 train.py \\\n  --train_batch_size 2 \\\n  --gradient_accumulation_steps 4\n"
    )
    script.write_text(script_text, encoding="utf-8")
    ds = tmp_path / "ds.json"
    ds_text = '{\n  "train_batch_size": 64,\n  "train_micro_batch_size_per_gpu": "auto",\n  "gradient_accumulation_steps": 4\n}\n'
    ds.write_text(ds_text, encoding="utf-8")
    await start(client, tmp_path)
    sh = await published(client, uri(script), open_doc(client, uri(script), script_text, "shellscript"))
    bl101 = next(d for d in sh.diagnostics if d.code == "BL101")
    assert bl101.range.start.line == 3
    assert {label(h) for h in await hints(client, uri(script), script_text)} == {"= 2 × 8 × 4 = 64 (8 processes: --num_processes at launch.sh:3)"}
    titles = [a.title for a in await actions(client, uri(script), bl101)]
    assert any(t.startswith("BL101:") and t.endswith("(unsafe fix)") for t in titles), titles
    assert not any(t.startswith("batchlint: ignore") for t in titles)  # a comment would end the continued command
    js = await published(client, uri(ds), open_doc(client, uri(ds), ds_text, "json"))
    assert "DS009" in codes(js), codes(js)


# -- robustness ---------------------------------------------------------------------------------


async def test_bad_buffers_never_kill_the_server(client: LanguageClient, tmp_path: Path) -> None:
    opened = await open_template(client, tmp_path)
    doc, text = opened.doc, opened.text
    half = text[: text.index("  train_batch_size: 1")] + "  train_batch_size: [1, \n  gradient_accu"
    broken = await published(client, doc, change_doc(client, doc, 2, half))
    assert codes(broken) == ["BL001"] and broken.diagnostics[0].severity == types.DiagnosticSeverity.Error
    binary = await published(client, doc, change_doc(client, doc, 3, "\x00\x01\x02ELF\x00" * 100))
    assert codes(binary) == ["BL001"]
    big = text + 'weights_b64: "' + "QUJD" * 700_000 + '"\n' + ("# " + "x" * 98 + "\n") * 25_000
    assert len(big.encode("utf-8")) > 5 * 1024 * 1024
    large = await published(client, doc, change_doc(client, doc, 4, big), timeout=120)
    assert "BL102" in codes(large)
    # Still answering, with the buffer as it now is.
    back = await published(client, doc, change_doc(client, doc, 5, text))
    assert "BL102" in codes(back)
    assert len(await hints(client, doc, text)) == 2


async def test_a_crash_is_logged_answered_and_the_next_request_works(faulty: LanguageClient, tmp_path: Path) -> None:
    client = faulty
    # The first check fails: one diagnostic says so, the log has the traceback.
    opened = await open_template(client, tmp_path)
    doc, text, first = opened.doc, opened.text, opened.first
    assert len(first.diagnostics) == 1 and "fault injected at diagnostics" in first.diagnostics[0].message
    assert any("fault injected at diagnostics" in m.message and "Traceback" in m.message for m in client.log_messages)
    again = await published(client, doc, change_doc(client, doc, 2, text))
    assert "BL102" in codes(again)
    # The first hover fails with an error answer; the next one works.
    where = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=doc), position=types.Position(line=131, character=4))
    with pytest.raises(Exception, match="fault injected at textDocument/hover"):
        await client.text_document_hover_async(where)
    assert any("textDocument/hover failed" in m.message for m in client.log_messages)
    hover = await client.text_document_hover_async(where)
    assert hover is not None and isinstance(hover.contents, types.MarkupContent) and ":132:21" in hover.contents.value
