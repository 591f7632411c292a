"""Fuzzed hostile input through the whole CLI: settings files, standard input, YAML/JSON values,
special files (FIFOs, /dev/zero, sockets, symlink loops), cache entries, and files named to escape the
project fence (a relative or absolute path, a symlinked directory or file, `..` through a subdirectory,
with `.git`, `pyproject.toml` or no marker: nothing of the outside file is ever printed or written). Every case has its own
time limit (signal.alarm in-process, a timeout for real processes): a hang fails the case instead of
the suite. Devices that never end (/dev/zero) are only given to real processes with a memory limit:
a regression that reads one whole fails that case, not the machine. The outcome is always exit 0/1/2 with findings or one-line errors, never a traceback,
"internal error" or a wrong answer from the cache. (tests/test_hostile.py fuzzes the loader and the
resolver; tests/test_bad_input.py holds the fixed bad inputs.)"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchlint import cache
from batchlint.cli import main
from batchlint.settings import FIELDS
from tests.helpers import run_cli, run_process

ROOT = Path(__file__).resolve().parent.parent
MUSEV = (
    "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\nmodel:\n  a: ${include:part.yaml}\n"
    "train:\n  train_batch_size: 2\n  gradient_accumulation_steps: 4\n"
)
ACC = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nnum_processes: 8\nmachine_rank: 0\n"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CASE_SECONDS = 10


class CaseHung(BaseException):
    """A case ran past its time limit. Not an OSError (as TimeoutError is) nor an Exception: the code
    under test turns those into an unreadable file or an internal error, which would hide the hang."""


@contextlib.contextmanager
def time_limit(seconds: int = CASE_SECONDS) -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise CaseHung(f"a case ran longer than {seconds} s (a hang?)")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    for bad in ("Traceback", "internal error"):
        assert bad not in err, err
    if code == 2:
        assert err.startswith("batchlint: error:") and err.count("\n") == 1, err
        assert "All checks passed" not in out


def project(root: Path) -> Path:
    (root / ".git").mkdir(exist_ok=True)
    (root / "t.yaml").write_text(MUSEV, encoding="utf-8")
    (root / "part.yaml").write_text("b: 1\n", encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------- settings

TOML_VALUES = [
    '"batchlint"',
    '""',
    "3",
    "0",
    "-1",
    "true",
    "1.5",
    "inf",
    "nan",
    "1979-05-27",
    "[1, 2]",
    '["BL101"]',
    "[]",
    "{}",
    "{a = 1}",
    "{ x = [1] }",
    '"../nope.toml"',
    '"fifo.toml"',
    '"."',
    '"loop.toml"',
    "9" * 30,
    '"A100-80GB"',
    '">=0.1"',
    '"==9"',
    '"t.yaml"',
    '["*.yaml"]',
    '{ "*.yaml" = ["BL1"] }',
    "[[1]]",
    '"a\\u0000b"',
]
# Every setting batchlint reads (a new one is fuzzed without being listed here), then keys of the
# `runs` and `dialects` tables and one that is no setting.
TOML_KEYS = [*FIELDS, "runs", "dialects", "configs", "points", "detect", "per-device-batch", "semantics", "bogus"]
TOML_HEADS = [
    "",
    "[tool.batchlint]\n",
    "[tool]\n",
    "[[tool.batchlint.runs]]\n",
    "[[tool.batchlint.dialects]]\n",
    "[tool.batchlint.memory]\n",
    "[[runs]]\n",
    "[[dialects]]\n",
    "[memory]\n",
    "[tool.batchlint.per-file-ignores]\n",
    "[[tool.batchlint]]\n",
]
toml_lines = st.one_of(
    st.sampled_from(TOML_HEADS), st.builds(lambda k, v: f"{k} = {v}\n", st.sampled_from(TOML_KEYS + ["tool", "batchlint"]), st.sampled_from(TOML_VALUES))
)
toml_files = st.tuples(
    st.sampled_from(["pyproject.toml", "batchlint.toml"]),
    st.lists(toml_lines, min_size=1, max_size=8).map("".join),
    st.sampled_from([b"", b"\xff", b"\x00", b"\xc3", b"\xed\xa0\x80"]),
    st.integers(0, 400),
)


@FUZZ
@given(toml_files, st.sampled_from([["check"], ["check", "--no-cache"], ["inspect"], ["settings", "--show"], ["check", "--fix"]]))
def test_fuzzed_settings_files(tmp_path_factory: pytest.TempPathFactory, case: tuple[str, str, bytes, int], command: list[str]) -> None:
    name, body, junk, at = case
    root = project(tmp_path_factory.mktemp("s"))
    data = body.encode()
    at = min(at, len(data))
    (root / name).write_bytes(data[:at] + junk + data[at:])
    os.mkfifo(root / "fifo.toml")
    os.symlink("loop.toml", root / "loop.toml")
    with time_limit():
        code, out, err = run_cli(*command, "t.yaml", cwd=root)
    assert_clean(code, out, err)


# ---------------------------------------------------------------------------------------------- standard input


def _with_stdin(data: bytes, *args: str, cwd: Path) -> tuple[int, str, str]:
    """main() with `data` on file descriptor-backed standard input."""
    stdin_file = cwd / ".stdin"
    stdin_file.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    try:
        os.chdir(cwd)
        with open(stdin_file, "rb") as raw:
            sys.stdin = io.TextIOWrapper(raw)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exc:  # a bad standard input ends the run with exit 2
                    code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
    return code, out.getvalue(), err.getvalue()


stdin_bytes = st.builds(
    lambda base, inserts: _insert(base.encode(), inserts),
    st.sampled_from([MUSEV, ACC, '{"train_micro_batch_size_per_gpu": 4, "zero_optimization": {}}']),
    st.lists(
        st.tuples(
            st.integers(0, 300), st.sampled_from([b"\xff", b"\xe9", b"\x00", b"\xef\xbb\xbf", b"\xc3", b"\r\n", b"\xed\xa0\x80", b"!!bool maybe ", b"---\n"])
        ),
        max_size=4,
    ),
)


def _insert(data: bytes, inserts: list[tuple[int, bytes]]) -> bytes:
    for at, piece in inserts:
        at = min(at, len(data))
        data = data[:at] + piece + data[at:]
    return data


@FUZZ
@given(
    stdin_bytes,
    st.sampled_from(
        [
            ["check", "-", "--stdin-filename", "x.yaml"],
            ["check", "-", "--stdin-filename", "x.json"],
            ["check", "-", "--fix", "--stdin-filename", "x.yaml"],
            ["inspect", "-"],
        ]
    ),
)
def test_fuzzed_standard_input(tmp_path_factory: pytest.TempPathFactory, data: bytes, command: list[str]) -> None:
    root = tmp_path_factory.mktemp("i")
    with time_limit():
        code, out, err = _with_stdin(data, *command, cwd=root)
    assert code in (0, 1, 2) and "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("batchlint: error:"), err


# ---------------------------------------------------------------------------------------------- YAML and JSON values

VALUES = [
    "!!bool maybe",
    "!!timestamp x",
    "!!int abc",
    "!!float x",
    "!!binary @@@",
    "!!set [1]",
    "!!omap [1]",
    "!!map [1]",
    "!!str [1]",
    "!!python/object/apply:os.getpid []",
    "!!python/int 8",
    "!custom x",
    "!!merge x",
    "=",
    "2001-02-30",
    "1e999",
    ".nan",
    "[8]",
    "{a: 1}",
    "*undefined",
    "&a 1",
    "9" * 4301,
    "[" * 150 + "]" * 150,
    "{a: " * 120 + "1" + "}" * 120,
    '"\\ud800"',
    "&x [*x]",
    "${oc.env:X}",
    "${.missing}",
    "${include:nope.yaml}",
    "${include:fifo.yaml}",
]
KEYS = ["train_batch_size", "gradient_accumulation_steps", "per_device_train_batch_size", "micro_batch_size", "num_processes", "x"]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)), min_size=1, max_size=3), st.sampled_from(["musev", "hf", "multi-doc"]))
def test_fuzzed_values_in_configs(tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[str, str]], base: str) -> None:
    root = project(tmp_path_factory.mktemp("v"))
    os.mkfifo(root / "fifo.yaml")
    head = MUSEV if base != "hf" else "per_device_train_batch_size: 4\noutput_dir: out\n"
    text = head + "".join(f"{k}: {v}\n" for k, v in pairs)
    if base == "multi-doc":
        text = "---\n" + text + "---\napiVersion: v1\nkind: Service\n"
    (root / "c.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    (root / "c.json").write_text(
        json.dumps({k: 8 for k, _ in pairs})[:-1] + ', "v": ' + pairs[0][1].replace("!!", "") + "}", encoding="utf-8", errors="surrogatepass"
    )
    with time_limit():
        for name in ("c.yaml", "c.json"):
            code, out, err = run_cli("check", "--format", "concise", "--no-cache", name, "--num-processes", "8", cwd=root)
            assert_clean(code, out, err)


# ---------------------------------------------------------------------------------------------- special files


def _special_project(root: Path) -> Path:
    project(root)
    (root / "sub").mkdir()
    os.mkfifo(root / "scripts.sh")  # a FIFO named *.sh: every pairing reads the project's scripts
    os.mkfifo(root / "sub" / "walked.yaml")
    os.mkfifo(root / "acc-fifo.yaml")
    os.symlink("/dev/zero", root / "sub" / "zero.yaml")
    os.symlink("loop-b.yaml", root / "sub" / "loop-a.yaml")
    os.symlink("loop-a.yaml", root / "sub" / "loop-b.yaml")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sub" / "s.yaml"))
    sock.close()  # the socket file stays
    (root / "run.sh").write_text("deepspeed --hostfile /dev/zero train.py --per_device_train_batch_size 4\n", encoding="utf-8")
    (root / "inc.yaml").write_text(MUSEV.replace("part.yaml", "sub/walked.yaml"), encoding="utf-8")
    return root


SPECIAL_RUNS = {
    "walk everything": ["check", "."],
    "FIFO accelerate config": ["check", "t.yaml", "--accelerate-config", "acc-fifo.yaml"],
    "/dev/zero accelerate config": ["check", "t.yaml", "--accelerate-config", "/dev/zero"],
    "/dev/zero memory profile": ["check", "t.yaml", "--gpu", "A100-80GB", "--num-processes", "8", "--memory-profile", "/dev/zero"],
    "FIFO memory profile": ["check", "t.yaml", "--gpu", "A100-80GB", "--num-processes", "8", "--memory-profile", "acc-fifo.yaml"],
    "symlink loop as config and accelerate config": ["check", "sub/loop-a.yaml", "t.yaml", "--accelerate-config", "sub/loop-b.yaml"],
    "/dev/zero hostfile in a script": ["check", "run.sh"],
    "FIFO include": ["check", "inc.yaml"],
    "devices named": ["check", "sub/zero.yaml", "sub/s.yaml", "sub/loop-a.yaml"],
    "inspect walk": ["inspect", "."],
    "fix walk": ["check", "--fix", "."],
}


def batchlint(*args: str, cwd: Path) -> tuple[int, str, str]:
    """A real process with a time and a memory limit."""
    try:
        proc = run_process(*args, cwd=cwd, timeout=CASE_SECONDS, limit_memory=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{args}: blocked for {CASE_SECONDS} s")
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


@pytest.mark.parametrize("run", sorted(SPECIAL_RUNS))
def test_special_files_never_block(tmp_path: Path, run: str) -> None:
    assert_clean(*batchlint(*SPECIAL_RUNS[run], cwd=_special_project(tmp_path)))


@pytest.mark.parametrize("pointing_at", ["fifo", "/dev/zero", "loop"])
def test_special_settings_files_never_block(tmp_path: Path, pointing_at: str) -> None:
    root = project(tmp_path)
    os.mkfifo(root / "fifo.toml")
    os.symlink("loop.toml", root / "loop.toml")
    target = {"fifo": "fifo.toml", "/dev/zero": "/dev/zero", "loop": "loop.toml"}[pointing_at]
    for setting in ("extend", "memory-profile", "accelerate-config"):
        (root / "batchlint.toml").write_text(f'gpu = "A100-80GB"\nnum-processes = 8\n{setting} = "{target}"\n', encoding="utf-8")
        code, out, err = batchlint("check", "t.yaml", cwd=root)
        assert_clean(code, out, err)
        assert code != 0, (setting, out, err)  # an error, or a finding about that file
    (root / "batchlint.toml").unlink()
    (root / "pyproject.toml").symlink_to(target)  # skipped: not a regular file
    assert_clean(*batchlint("check", "t.yaml", cwd=root))


# ---------------------------------------------------------------------------------------------- cache entries

_truths: dict[str, tuple[int, str, str]] = {}


def _cached_project(root: Path) -> tuple[Path, bytes, tuple[int, str, str]]:
    project(root)
    args = ("check", "--format", "concise", "t.yaml", "--num-processes", "8", "--target-total", "128")
    truth = run_cli(*args, "--no-cache", cwd=root)
    run_cli(*args, cwd=root)
    entry = Path(cache._entry_path(str(root / "t.yaml")))
    return entry, entry.read_bytes(), truth


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for at, cut, piece in edits:
        at = at % (len(data) + 1)
        data = data[:at] + piece + data[at + cut :]
    return data


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.integers(0, 3),
            st.sampled_from([b"", b"x", b"0", b'"', b"}", b"[", b"null", b"\xff", b"\\u0000", b"1e999", b"{}", b'"fix": 3, ']),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fuzzed_cache_entries_are_misses_never_wrong(tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, bytes]]) -> None:
    root = tmp_path_factory.mktemp("c")
    entry, good, truth = _cached_project(root)
    entry.write_bytes(_mutate(good, edits))
    with time_limit():
        got = run_cli("check", "--format", "concise", "t.yaml", "--num-processes", "8", "--target-total", "128", cwd=root)
    assert got == truth


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "loop", "directory"])
def test_special_cache_entries_are_misses(tmp_path: Path, kind: str) -> None:
    entry, _, truth = _cached_project(tmp_path)
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "dev-zero":
        entry.symlink_to("/dev/zero")
    elif kind == "loop":
        entry.symlink_to(entry.name)
    else:
        entry.mkdir()
    os.environ["BATCHLINT_CACHE_DIR"]  # the child uses the same cache directory (set by conftest.py)
    got = batchlint("check", "--format", "concise", "t.yaml", "--num-processes", "8", "--target-total", "128", cwd=tmp_path)
    assert got == truth


# ---------------------------------------------------------------------------------------------- the project fence

SECRET = "4242"  # in every outside file: a value batchlint prints (inspect's facts, a finding) once it reads the file
_DS_JSON = '{"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": 4242, "gradient_clipping": 1.0, "zero_optimization": {"stage": 2}}\n'
_DS_ACC = "compute_environment: LOCAL_MACHINE\ndistributed_type: DEEPSPEED\ndeepspeed_config:\n  deepspeed_config_file: {P}\nnum_processes: 4\n"
_ACC_4242 = "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmachine_rank: 0\nnum_machines: 1\nnum_processes: 4242\n"
_HF = "per_device_train_batch_size: 4\ngradient_accumulation_steps: 1\noutput_dir: out\nlearning_rate: 1.0e-5\nnum_train_epochs: 1\n"
# follower -> (project files with {P} where the outside file is named, the outside file, its content, extra arguments)
FENCE_FOLLOWERS: dict[str, tuple[dict[str, str], str, str, list[str]]] = {
    "include": ({"t.yaml": MUSEV.replace("accumulation_steps: 4", "accumulation_steps: ${include:{P}}")}, "ga.yaml", "4242\n", []),
    "DeepSpeed JSON of an accelerate config": ({"t.yaml": MUSEV, "acc.yaml": _DS_ACC}, "ds.json", _DS_JSON, ["--accelerate-config", "acc.yaml"]),
    "DeepSpeed JSON of a training config": ({"h.yaml": _HF + "deepspeed: {P}\n"}, "ds.json", _DS_JSON, ["--num-processes", "4"]),
    "accelerate config in settings": ({"t.yaml": MUSEV, "batchlint.toml": 'accelerate-config = "{P}"\n'}, "acc.yaml", _ACC_4242, []),
    "accelerate config on a launch line": (
        {"t.yaml": MUSEV, "run.sh": "accelerate launch --config_file {P} train.py --config t.yaml\n"},
        "acc.yaml",
        _ACC_4242,
        [],
    ),
    "DeepSpeed JSON on a launch line": (
        {"run.sh": "deepspeed --num_gpus 4 train.py --deepspeed {P} --per_device_train_batch_size 4\n"},
        "ds.json",
        _DS_JSON,
        [],
    ),
    "hostfile on a launch line": ({"run.sh": "deepspeed --hostfile {P} train.py --per_device_train_batch_size 4\n"}, "hostfile", "w1 slots=4242\n", []),
}
FENCE_ESCAPES = ["relative", "absolute", "symlinked directory", "dot-dot through a subdirectory", "symlinked file", "symlinked directory, then dot-dot"]
FENCE_MARKERS = [".git", "pyproject.toml", None]
FENCE_COMMANDS = [["check", "--no-cache"], ["check", "--no-cache", "--format", "json"], ["check", "--fix", "--no-cache"], ["inspect", "--format", "json"]]


def fence_case(root: Path, follower: str, escape: str, marker: str | None) -> tuple[Path, list[str], dict[Path, bytes]]:
    """A project under `root` whose files name an outside file the way `escape` says: the project, the
    arguments that check it, and the outside files with their bytes (which nothing may change)."""
    files, name, content, extra = FENCE_FOLLOWERS[follower]
    project, outside = root / "project", root / "outside"
    (project / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / name).write_text(content, encoding="utf-8")
    (outside / "inner").mkdir()
    if marker == ".git":
        (project / ".git").mkdir()
    elif marker == "pyproject.toml":
        (project / "pyproject.toml").write_text('[project]\nname = "p"\n', encoding="utf-8")
    link = project / "link"
    link.symlink_to(outside)
    named = {
        "relative": f"../outside/{name}",
        "absolute": str(outside / name),
        "symlinked directory": f"link/{name}",
        "dot-dot through a subdirectory": f"sub/../../outside/{name}",
        "symlinked file": f"f-{name}",
        "symlinked directory, then dot-dot": f"link/inner/../{name}",
    }[escape]
    if escape == "symlinked file":
        (project / named).symlink_to(outside / name)
    for file, text in files.items():
        (project / file).write_text(text.replace("{P}", named), encoding="utf-8")
    entry = next(f for f in files if not f.endswith(".toml") and (f.endswith(".sh") or len(files) == 1 or f.startswith(("t.", "h."))))
    return project, [entry, *extra], {outside / name: content.encode()}


@FUZZ
@given(
    st.sampled_from(sorted(FENCE_FOLLOWERS)),
    st.sampled_from(FENCE_ESCAPES),
    st.sampled_from(FENCE_MARKERS),
    st.sampled_from(FENCE_COMMANDS),
    st.booleans(),
)
def test_fuzzed_fence_never_prints_an_outside_file(
    tmp_path_factory: pytest.TempPathFactory, follower: str, escape: str, marker: str | None, command: list[str], walk: bool
) -> None:
    from batchlint.paths import marked_root

    root = tmp_path_factory.mktemp("f")
    if marker is None and marked_root(str(root)) is not None:
        marker = ".git"  # the temporary directory lies in a project: the no-marker tree cannot be built here
    project, args, outside = fence_case(root, follower, escape, marker)
    target = ["."] if walk and not args[0].endswith(".sh") else args[:1]
    with time_limit():
        code, out, err = run_cli(*command, *target, *args[1:], cwd=project)
    assert_clean(code, out, err)
    assert SECRET not in out, (follower, escape, marker, out)
    assert all(path.read_bytes() == data for path, data in outside.items())  # --fix never writes there
    if command[-1] == "json" and command[0] == "check":
        assert any(d["code"] == "BL009" for d in json.loads(out)["diagnostics"]), (follower, escape, marker, out)
