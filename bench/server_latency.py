"""Latency of `batchlint server`: from opening MuseV's template to its first diagnostics.

Each run starts a fresh server process, as an editor does when it opens the first file, and
speaks LSP to it over stdio (pygls' client). Timed per run:

- start:  spawn -> the answer to `initialize` (imports; the editor shows nothing yet)
- first:  `textDocument/didOpen` sent -> `textDocument/publishDiagnostics` received (the budget: 300 ms)
- change: `textDocument/didChange` sent -> its diagnostics (includes the 200 ms debounce)

    python bench/server_latency.py          # 7 runs
    RUNS=15 python bench/server_latency.py
    PAUSE_MS=0 python bench/server_latency.py   # open the file the moment the server is initialized

Between `initialized` and `didOpen` the bench waits PAUSE_MS (default 500), as an editor spends
that long anyway between starting a server and sending it the buffer; the server warms the
engine's imports up in it. With 0 the warm-up is inside the first figure.

Prints the median and the range of each; needs the server extra (pip install -e '.[server]').
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "server" / "musev"
RUNS = int(os.environ.get("RUNS", "7"))
PAUSE = int(os.environ.get("PAUSE_MS", "500")) / 1000
BUDGET_MS = 300


async def one_run(folder: Path) -> dict[str, float]:
    path = folder / "train_template.yaml"
    text = path.read_text(encoding="utf-8")
    uri = from_fs_path(str(path)) or str(path)
    client = LanguageClient("server-latency-bench", "1")
    published: asyncio.Queue[tuple[float, types.PublishDiagnosticsParams]] = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.put_nowait((time.perf_counter(), params))

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        return None

    t0 = time.perf_counter()
    await client.start_io(sys.executable, "-m", "batchlint", "server")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(folder))))
    started = time.perf_counter()
    client.initialized(types.InitializedParams())
    await asyncio.sleep(PAUSE)
    sent = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    got, params = await asyncio.wait_for(published.get(), 30)
    assert any(d.code == "BL102" for d in params.diagnostics), params
    edited = text.replace("train_batch_size: 1", "train_batch_size: 7").replace("gradient_accumulation_steps: 4", "gradient_accumulation_steps: 2")
    changed_at = time.perf_counter()
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2), content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]
        )
    )
    changed, params = await asyncio.wait_for(published.get(), 30)
    assert not any(d.code == "BL101" for d in params.diagnostics), params
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"start": (started - t0) * 1000, "first": (got - sent) * 1000, "change": (changed - changed_at) * 1000}


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="batchlint-server-bench-"))
    try:
        folder = work / "musev"
        shutil.copytree(FIXTURE, folder)
        runs = [asyncio.run(one_run(folder)) for _ in range(RUNS)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for key, what in (("start", "spawn -> initialized"), ("first", "didOpen -> first diagnostics"), ("change", "didChange -> diagnostics")):
        values = sorted(r[key] for r in runs)
        print(f"{what:<30} median {statistics.median(values):7.1f} ms   (min {values[0]:.1f}, max {values[-1]:.1f}, {RUNS} runs)")
    first = statistics.median(r["first"] for r in runs)
    verdict = "within" if first <= BUDGET_MS else "OVER"
    print(f"first diagnostics: {first:.1f} ms, {verdict} the {BUDGET_MS} ms budget")
    return 0 if first <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
