"""`check --baseline REV`: each run the checked files belong to, compared with the run at a git
revision of a real temporary repository (BL107, BL108), and the errors that stop it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import check_json, run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "drift"
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """MuseV's template at 7 × 2, an accelerate file with 16 processes and a launch script pairing them, committed."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "the run on 16 GPUs")
    return root


def codes(diags: list[dict[str, object]]) -> list[object]:
    return [d["code"] for d in diags]


def test_lowered_processes_report_the_total_that_changed(repo: Path) -> None:
    edit(repo / "accelerate.yaml", "num_processes: 16", "num_processes: 8")
    code, diags = check_json("accelerate.yaml", "--baseline", "HEAD", cwd=repo)
    changed = [d for d in diags if d["code"] == "BL107"]
    assert code == 1 and len(changed) == 1
    d = changed[0]
    assert (d["file"], d["line"], d["column"]) == ("accelerate.yaml", 5, 16)
    assert d["message"].startswith("total 224 → 112: num_processes 16 → 8 (accelerate.yaml:5); the target 224 (the comment at line 18)")
    assert [(r["file"], r["line"]) for r in d["related"]] == [("musev_train.yaml", 18)]  # the training config (its stated target)
    lr = next(d for d in diags if d["code"] == "BL108")
    assert lr["severity"] == "info" and (lr["file"], lr["line"]) == ("musev_train.yaml", 20)
    assert lr["message"] == (
        "learning rate unchanged against HEAD while the total goes from 224 to 112 (× 0.5): "
        "train.learning_rate = 1e-05 was set for 224; rescaled it is 5e-06 (linear) or 7.07e-06 (square root)"
    )
    # Without --baseline, nothing is compared; without --bound-configs the accelerate file is checked alone.
    assert "BL107" not in codes(check_json("accelerate.yaml", cwd=repo)[1])
    assert {"BL101", "BL102"} <= set(codes(check_json("accelerate.yaml", "--bound-configs", cwd=repo)[1]))
    assert not {"BL101", "BL102"} & set(codes(check_json("accelerate.yaml", cwd=repo)[1]))


def test_the_stated_total_changed_with_the_processes_is_declared(repo: Path) -> None:
    edit(repo / "accelerate.yaml", "num_processes: 16", "num_processes: 8")
    edit(repo / "musev_train.yaml", "16卡*2accumulation*7单卡batch_size = 224", "8卡*2accumulation*7单卡batch_size = 112")
    code, diags = check_json("accelerate.yaml", "--baseline", "HEAD", cwd=repo)
    assert code == 0 and "BL107" not in codes(diags)
    assert "BL108" in codes(diags)  # the learning rate still says nothing: information
    edit(repo / "musev_train.yaml", "learning_rate: 1.0e-5", "learning_rate: 5.0e-6")
    assert "BL108" not in codes(check_json("accelerate.yaml", "--baseline", "HEAD", cwd=repo)[1])


def test_settings_target_baseline_and_the_command_line(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.batchlint]\ntarget-total = 224\nbaseline = "HEAD"\n', encoding="utf-8")
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-qm", "settings")
    edit(repo / "musev_train.yaml", "train_batch_size: 7", "train_batch_size: 4")
    _, diags = check_json("musev_train.yaml", cwd=repo)  # `baseline` in settings
    d = next(d for d in diags if d["code"] == "BL107")
    assert d["message"].startswith(
        "total 224 → 128: train.train_batch_size 7 → 4 (musev_train.yaml:16); the target 224 (target-total in pyproject.toml) did not change"
    )
    assert "BL107" not in codes(check_json("musev_train.yaml", "--no-baseline", cwd=repo)[1])
    # --baseline wins over settings: against the settings commit, the batch change is all there is; against the first, too.
    assert "BL107" in codes(check_json("musev_train.yaml", "--baseline", "HEAD~1", cwd=repo)[1])
    edit(repo / "pyproject.toml", "target-total = 224", "target-total = 128")  # declared with the change
    assert "BL107" not in codes(check_json("musev_train.yaml", cwd=repo)[1])
    edit(repo / "pyproject.toml", 'baseline = "HEAD"', 'baseline = "no-such-branch"')
    code, out, err = run_cli("check", "musev_train.yaml", cwd=repo)
    assert code == 2 and out == ""
    assert (
        err == "batchlint: error: baseline = 'no-such-branch' in pyproject.toml: no such revision in this git repository "
        "(give a branch, tag or commit, e.g. HEAD or origin/main)\n"
    )


def test_a_config_new_since_the_baseline_is_a_new_run(repo: Path) -> None:
    shutil.copy(repo / "musev_train.yaml", repo / "train_small.yaml")
    edit(repo / "train_small.yaml", "train_batch_size: 7", "train_batch_size: 1")
    code, diags = check_json("train_small.yaml", "--baseline", "HEAD", "--num-processes", "16", cwd=repo)
    assert "BL107" not in codes(diags) and "BL101" in codes(diags)
    code, out, _ = run_cli("check", "train_small.yaml", "--baseline", "HEAD", "--num-processes", "16", "--format", "markdown", cwd=repo)
    assert "| new | — |" in out


def test_an_included_file_and_a_deepspeed_json_are_bound_to_their_configs(repo: Path) -> None:
    edit(repo / "musev_train.yaml", "  train_batch_size: 7 # 单卡\n", "  train_batch_size: ${batch.per_device} # 单卡\n")
    edit(repo / "musev_train.yaml", "\ntrain:\n", "\nbatch: ${include:batch.yaml}\n\ntrain:\n")
    (repo / "batch.yaml").write_text("per_device: 7\n", encoding="utf-8")
    edit(repo / "accelerate.yaml", "distributed_type: MULTI_GPU\n", "distributed_type: DEEPSPEED\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n")
    (repo / "ds.json").write_text(
        '{\n  "train_micro_batch_size_per_gpu": "auto",\n  "gradient_accumulation_steps": 2,\n  "zero_optimization": {"stage": 2}\n}\n', encoding="utf-8"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "an include and DeepSpeed")
    assert "BL107" not in codes(check_json("batch.yaml", "ds.json", "--baseline", "HEAD", cwd=repo)[1])  # nothing changed yet
    (repo / "batch.yaml").write_text("per_device: 4\n", encoding="utf-8")
    _, diags = check_json("batch.yaml", "--baseline", "HEAD", cwd=repo)
    assert [(d["file"], d["line"], d["message"].split(";")[0]) for d in diags if d["code"] == "BL107"] == [
        ("batch.yaml", 1, "total 224 → 128: batch.per_device 7 → 4 (batch.yaml:1)")
    ]
    git(repo, "checkout", "-q", "batch.yaml")
    edit(repo / "ds.json", '"gradient_accumulation_steps": 2', '"gradient_accumulation_steps": 1')
    _, diags = check_json("ds.json", "--baseline", "HEAD", cwd=repo)
    assert [(d["file"], d["line"], d["message"].split(";")[0]) for d in diags if d["code"] == "BL107"] == [
        # equal at HEAD, the JSON's value and the config's were one; now the JSON decides
        ("ds.json", 3, "total 224 → 112: train.gradient_accumulation_steps 2 → gradient_accumulation_steps 1 (ds.json:3)")
    ]


def test_a_launch_script_change_is_compared_through_the_script(repo: Path) -> None:
    edit(repo / "train.sh", "--config_file accelerate.yaml", "--config_file accelerate.yaml --num_processes 4")
    _, diags = check_json("train.sh", "--baseline", "HEAD", cwd=repo)
    d = next(d for d in diags if d["code"] == "BL107")
    assert (d["file"], d["line"]) == ("train.sh", 3)
    assert d["message"].startswith("total 224 → 56: num_processes 16 → --num_processes 4 (train.sh:3)")


def test_errors_are_one_line_exit_2_and_write_nothing(repo: Path, tmp_path: Path) -> None:
    out_file = repo / "report.json"
    code, out, err = run_cli("check", "accelerate.yaml", "--baseline", "v9.9", "--output-file", str(out_file), cwd=repo)
    assert (code, out, not out_file.exists()) == (2, "", True)
    assert err == "batchlint: error: --baseline v9.9: no such revision in this git repository (give a branch, tag or commit, e.g. HEAD or origin/main)\n"
    assert run_cli("check", "musev_train.yaml", "--baseline=--all", cwd=repo)[2].count("\n") == 1

    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(repo / "musev_train.yaml", loose / "musev_train.yaml")
    (loose / "pyproject.toml").write_text("[tool.batchlint]\nnum-processes = 16\n", encoding="utf-8")
    code, out, err = run_cli("check", "musev_train.yaml", "--baseline", "HEAD", "--format", "json", cwd=loose)
    assert (code, out) == (2, "")
    assert err == (
        "batchlint: error: musev_train.yaml: not in a git work tree, so --baseline HEAD has nothing to compare with "
        "(run batchlint inside the repository, or drop the baseline)\n"
    )

    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow))
    code, out, err = run_cli("check", "musev_train.yaml", "--baseline", "HEAD~1", cwd=shallow)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "HEAD~1: no such revision in this shallow clone; fetch it first (`git fetch --deepen=100`" in err
    code, out, err = run_cli("check", "musev_train.yaml", "--baseline", "origin/release", cwd=shallow)
    assert "(`git fetch origin release`;" in err
    assert run_cli("check", "musev_train.yaml", "--baseline", "HEAD", cwd=shallow)[0] == 0  # what the clone has works


@pytest.mark.parametrize("committed", ['tool = "batchlint"\n', "[tool]\nbatchlint = 3\n", "[tool.batchlint\n", "[tool.batchlint]\nnum-processes = 0\n"])
def test_broken_settings_at_the_revision_are_not_an_internal_error(repo: Path, committed: str) -> None:
    # The settings as they were at the baseline revision are read with the settings module's own checks;
    # broken ones there fall back to the settings on disk, never to a traceback.
    (repo / "pyproject.toml").write_text(committed, encoding="utf-8")
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-qm", "broken settings")
    (repo / "pyproject.toml").write_text("[tool.batchlint]\nnum-processes = 16\n", encoding="utf-8")
    code, out, err = run_cli("check", "musev_train.yaml", "--baseline", "HEAD", "--format", "json", cwd=repo)
    assert code in (0, 1) and err == "", err
    assert json.loads(out)["diagnostics"] is not None


def test_a_repository_without_commits_has_only_new_runs(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    shutil.copytree(FIXTURE, root)
    git(root, "init", "-q")
    code, diags = check_json("accelerate.yaml", "--baseline", "HEAD", cwd=root)
    assert code == 0 and "BL107" not in codes(diags)


def test_the_baseline_is_computed_only_for_the_runs_of_the_checked_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import batchlint.baseline

    for n in range(3):  # other runs of the project, each with its own settings-free pairing
        shutil.copy(repo / "musev_train.yaml", repo / f"other_{n}.yaml")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "other runs")
    computed: list[str] = []
    real = batchlint.baseline.baseline_run

    def counting(run, *rest):  # type: ignore[no-untyped-def]
        computed.append(run.config)
        return real(run, *rest)

    monkeypatch.setattr(batchlint.baseline, "baseline_run", counting)
    edit(repo / "accelerate.yaml", "num_processes: 16", "num_processes: 8")
    check_json("accelerate.yaml", "--baseline", "HEAD", cwd=repo)
    assert sorted(set(computed)) == ["musev_train.yaml"]  # train.sh pairs it; other_*.yaml are launched by nothing
    computed.clear()
    check_json("other_0.yaml", "--baseline", "HEAD", "--num-processes", "8", cwd=repo)
    assert computed == ["other_0.yaml"]


def test_markdown_keeps_the_runs(repo: Path) -> None:
    edit(repo / "accelerate.yaml", "num_processes: 16", "num_processes: 8")
    code, out, err = run_cli("check", "accelerate.yaml", "--baseline", "HEAD", "--format", "markdown", cwd=repo)
    assert code == 1 and err == ""
    assert "| `musev_train.yaml` | `accelerate.yaml` via `train.sh` | 7 × 8 × 2 = 112 | 224 | −112 |" in out
    code, out, _ = run_cli("check", "accelerate.yaml", "--baseline", "HEAD", "--format", "json", cwd=repo)
    assert "BL107" in {d["code"] for d in json.loads(out)["diagnostics"]}
