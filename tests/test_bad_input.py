"""Bad input: a one-line finding with a position, exit 1 or 2, never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

MUSEV_HEAD = "output_dir:\n  exp_dir: ./x\nvalidation_data:\n  do_validation: true\n"


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


CASES: dict[str, tuple[str, bytes | str, str, int, int]] = {
    # name: (file name, content, expected code, line, column)
    "unparsable yaml": ("t.yaml", "train:\n  train_batch_size: [1\n  x: 2\n", "BL001", 3, 4),
    "tab indentation": ("t.yaml", "train:\n\ttrain_batch_size: 1\n", "BL001", 2, 1),
    "binary": ("t.yaml", b"\x89PNG\r\n\x1a\n\x00\x00", "BL001", 3, 1),
    "invalid utf-8": ("t.yaml", b"a: 1\nb: caf\xe9\n", "BL001", 2, 7),
    "empty": ("t.yaml", "", "BL006", 1, 1),
    "whitespace only": ("t.yaml", "\n  \n", "BL006", 1, 1),
    "json with comment": ("a.json", '{\n  // note\n  "distributed_type": "NO"\n}\n', "BL001", 2, 3),
    "json placeholder": ("ds.json", '{\n  "train_batch_size": GB_SIZE\n}\n', "BL001", 2, 23),
    "missing include": ("t.yaml", MUSEV_HEAD + "train:\n  train_batch_size: 1\ndataset:\n  dataset: ${include:gone.yaml}\n", "BL003", 8, 12),
    "interpolation cycle": ("t.yaml", MUSEV_HEAD + "train:\n  train_batch_size: ${.b}\n  b: ${.train_batch_size}\n", "BL004", 6, 21),
    "bad interpolation grammar": ("t.yaml", MUSEV_HEAD + "train:\n  train_batch_size: ${oops\n", "BL004", 6, 21),
    "deep nesting": ("t.yaml", "a: " + "[" * 10000 + "]" * 10000 + "\n", "BL001", 1, None),  # type: ignore[dict-item]
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_finding_with_position(name: str, tmp_path: Path) -> None:
    file, content, code, line, column = CASES[name]
    path = _write(tmp_path, file, content)
    exit_code, diags = check_json(str(path))
    assert exit_code == 1
    diags = [d for d in diags if d["severity"] != "info"]  # BL103 may add that the GPU count is unknown
    assert [d["code"] for d in diags] == [code], diags
    assert diags[0]["line"] == line
    if column is not None:
        assert diags[0]["column"] == column
    assert "\n" not in diags[0]["message"]


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert run_cli("check", "--format", "json", missing) == (2, "", f"batchlint: error: {missing}: no such file or directory\n")


def test_alias_bomb_is_linear(tmp_path: Path) -> None:
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    text = MUSEV_HEAD + "\n".join(lines) + "\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 1\n"
    path = _write(tmp_path, "bomb.yaml", text)
    exit_code, diags = check_json(str(path), "--num-processes", "2", "--target-total", "2", "--ignore", "BL204")
    assert (exit_code, diags) == (0, [])


def test_alias_bomb_under_schema_checked_keys_is_one_finding_not_a_memory_error(tmp_path: Path) -> None:
    # 9**10 values once expanded, under keys the MuseV schema types: the validator would walk them all.
    from tests.helpers import run_process

    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    head = MUSEV_HEAD + "model:\n  referencenet_params:\n    is_train: true\n"
    text = head + "\n".join(lines) + "\ntrain:\n  train_batch_size: 1\n  gradient_accumulation_steps: 1\n  mixed_precision: *l9\n  learning_rate: *l9\n"
    _write(tmp_path, "bomb.yaml", text)
    proc = run_process("check", "--no-cache", "--format", "concise", "bomb.yaml", "--num-processes", "1", cwd=tmp_path, timeout=30, limit_memory=True)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 1 and err == "", err
    assert "bomb.yaml:1:1: BL007 not checked against the musev schema: the file holds more than 100,000 values" in out, out


def test_recursive_alias_and_python_tags_are_not_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        MUSEV_HEAD + f"evil: !!python/object/apply:os.system ['touch {marker}']\n"
        "loop: &x\n  self: *x\ntrain:\n  train_batch_size: 2\n  gradient_accumulation_steps: 1\n"
    )
    path = _write(tmp_path, "t.yaml", text)
    exit_code, diags = check_json(str(path), "--num-processes", "2", "--target-total", "4", "--ignore", "BL204")
    assert (exit_code, diags) == (0, [])
    assert not marker.exists()


def test_bom_and_crlf_keep_positions(tmp_path: Path) -> None:
    text = "\ufeff" + (MUSEV_HEAD + "train:\n  train_batch_size: 0\n").replace("\n", "\r\n")
    path = _write(tmp_path, "t.yaml", text)
    _, diags = check_json(str(path), "--ignore", "BL204")
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("BL105", 6, 21)]


def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.yaml", b"\xff\xfe\x00garbage")
    proc = subprocess.run([sys.executable, "-m", "batchlint", "check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "BL001" in proc.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("check")[0] == 2
    assert run_cli("check", "x.yaml", "--num-processes", "0")[0] == 2
    code, _, err = run_cli("check", "x.yaml", "--select", "BL999")
    assert code == 2 and "unknown rule BL999" in err
    # A missing accelerate config is a finding (AC033), not a usage error.
    (tmp_path / "t.yaml").write_text(MUSEV_HEAD + "train:\n  train_batch_size: 1\n", encoding="utf-8")
    code, out, err = run_cli("check", "--format", "concise", str(tmp_path / "t.yaml"), "--accelerate-config", str(tmp_path / "missing.yaml"))
    assert code == 1 and "AC033" in out and "does not exist" in out and err == ""


def test_bad_settings_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.batchlint]\ntarget-totl = 3\n", encoding="utf-8")
    _write(tmp_path, "t.yaml", MUSEV_HEAD + "train:\n  train_batch_size: 1\n")
    code, out, err = run_cli("check", str(tmp_path / "t.yaml"))
    assert code == 2
    assert "unknown setting `target-totl` (did you mean `target-total`?)" in err


def test_oversized_file_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.write(b"train:\n  train_batch_size: 1\n" + b"# padding\n" * 1_200_000)  # ~12 MB
    exit_code, diags = check_json(str(path))
    assert exit_code == 1 and [d["code"] for d in diags] == ["BL001"]
    assert "batchlint reads at most 10 MiB" in diags[0]["message"]


def test_user_dialect_settings_are_validated(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.batchlint]\n[[tool.batchlint.dialects]]\nname = "x"\ndetect = ["a"]\n', encoding="utf-8")
    _write(tmp_path, "t.yaml", "a: 1\n")
    code, _, err = run_cli("check", str(tmp_path / "t.yaml"))
    assert code == 2 and "dialects[0]: needs `per-device-batch`" in err
