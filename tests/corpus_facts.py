"""Compare `batchlint inspect --format json` with a corpus manifest's hand-checked facts.

Used by the corpus tests and runnable on its own to print the accuracy table:

    python -m tests.corpus_facts [CORPUS_DIR ...]

Each manifest fact becomes one check with an outcome: `right` (value, and key path and line where
the manifest gives them), `wrong` (batchlint states another value, or a value where the manifest
says none can be known), `position` (right value, wrong key or line) or `missing` (batchlint says
nothing). A non-training file is one check: no finding and no training run. Decoy keys are one
check per file: no batch fact is read from them.

A first-corpus file whose GPU count comes from an accelerate config that only a README passes is
inspected with that `--accelerate-config`, as the first corpus test always did.

Expected lines come from the manifest when it has them; otherwise from an independent parser
(ruamel.yaml key marks, the TOML text), never from batchlint's own loader.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# manifest fact name -> inspect fact name ("" = the run's total_batch; "accumulation" = the run's accumulation)
FACT_MAP = {
    "per_device_batch": "per_device_batch",
    "grad_accum": "grad_accum",
    "global_batch": "global_batch",
    "device_microbatch": "device_microbatch",
    "num_processes": "num_processes",
    "num_machines": "num_machines",
    "mixed_precision": "mixed_precision",
    "gradient_checkpointing": "gradient_checkpointing",
    "zero_stage": "zero_stage",
    "distributed_type": "distributed_type",
    "gpu_ids": "gpu_ids",
    "derived_grad_accum": "accumulation",
    "derived_per_device_batch": "per_device_batch",
    "data_parallel_degree": "data_parallel_size",
    "total": "",
}
# Facts whose null means "cannot be known from the files": batchlint must not state a number.
STRICT_NULL = {
    "num_processes",
    "total",
    "per_device_batch",
    "global_batch",
    "derived_grad_accum",
    "derived_per_device_batch",
    "data_parallel_degree",
    "grad_accum",
}


@dataclass
class Check:
    corpus: str
    file: str
    family: str
    fact: str
    outcome: str  # right | wrong | position | missing
    detail: str = ""
    null: bool = False  # the manifest says nothing can be known (or the file is no training config)


def _split(path: str) -> list[str | int]:
    return [int(i) if i else k for i, k in re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)]


def _yaml_key_line(file: Path, path: str) -> int | None:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.allow_duplicate_keys = True
    try:
        docs = list(yaml.load_all(file.read_text(encoding="utf-8")))
    except Exception:
        return None
    node: Any = docs[0] if len(docs) == 1 else docs
    line = None
    for part in _split(path):
        try:
            if isinstance(node, list) and node is docs:
                node = node[int(part)]
                continue
            if isinstance(part, int):
                line = node.lc.item(part)[0] + 1
            else:
                line = node.lc.key(part)[0] + 1
            node = node[part]
        except Exception:
            return None
    return line


def _toml_key_line(file: Path, path: str) -> int | None:
    parts = [p for p in _split(path) if isinstance(p, str)]
    table, key = parts[:-1], parts[-1]
    current: list[str] = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", s)
        if m:
            current = [p.strip().strip('"') for p in m.group(1).split(".")]
            continue
        m = re.match(r'^"?([\w.-]+)"?\s*=', s)
        if m and current == table and m.group(1) == key:
            return n
    return None


def expected_line(file: Path, fact: dict[str, Any]) -> int | None:
    path = fact.get("path", "")
    structured = bool(path) and not path.startswith(("argv:", "env:", "text:"))
    if structured and file.suffix == ".json":
        # The manifest's JSON lines only "contain the last key"; the key's own line is ruamel's.
        line = _yaml_key_line(file, path)
        if line is not None:
            return line
    if "line" in fact:
        return int(fact["line"])
    if not structured:
        return None
    if file.suffix == ".toml":
        return _toml_key_line(file, path)
    return _yaml_key_line(file, path)  # YAML and JSON (JSON is YAML to ruamel)


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


def same_value(got: Any, want: Any) -> bool:
    if isinstance(got, bool) or isinstance(want, bool):
        return _norm(got) == _norm(want)
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return bool(got == want)
    return bool(_norm(got) == _norm(want))


def expected_value(fact: dict[str, Any]) -> Any:
    if "resolves_to" in fact:
        return fact["resolves_to"]
    if fact.get("form") == "bare flag":
        return True
    return fact.get("value")


def _select_run(runs: list[dict[str, Any]], entry: dict[str, Any], root: Path) -> dict[str, Any] | None:
    rel = entry["path"]
    own = [r for r in runs if r.get("config") and Path(r["config"]).as_posix().lstrip("./") == rel]
    if own:
        return own[0]
    scripted = [r for r in runs if r.get("launch_script") and Path(r["launch_script"]).as_posix().lstrip("./") == rel]
    if scripted:
        training = [r for r in scripted if r.get("total_batch") is not None or "per_device_batch" in r["facts"] or "global_batch" in r["facts"]]
        return (training or scripted)[0]
    return runs[0] if len(runs) == 1 else None


def _got(run: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if run is None:
        return None
    facts = run["facts"]
    if name == "":
        return {"value": run.get("total_batch"), "file": None, "line": None, "key": None, "source": "derived"}
    if name == "accumulation":
        return facts.get("effective_grad_accum") or facts.get("grad_accum")
    return facts.get(name)  # type: ignore[no-any-return]


def _same_file(got: dict[str, Any], want_file: Path, root: Path) -> bool:
    if got.get("file") is None:
        return False
    return (root / got["file"]).resolve() == want_file.resolve()


def judge(corpus_dir: Path, entry: dict[str, Any], root: Path, run: dict[str, Any] | None, name: str, fact: Any) -> tuple[str, str]:
    target = FACT_MAP[name]
    if name == "derived_grad_accum" and "device_microbatch" in entry["facts"]:
        target = "microbatches"  # Composer / OLMo: the forward passes a device microbatch splits the device batch into
    if (
        name == "grad_accum"
        and isinstance(fact, dict)
        and str(fact.get("path", "")).startswith("deepspeed_config.")
        and run is not None
        and run.get("kind") == "launch"
    ):
        target = "launcher_grad_accum"  # an accelerate config's accumulation is the launcher's
    got = _got(run, target)
    if isinstance(fact, list):
        items = [f for f in fact if isinstance(f, dict)]
        outcomes = [judge(corpus_dir, entry, root, run, name, f) for f in items]
        if any(o == "right" for o, _ in outcomes):
            return "right", ""
        return outcomes[0] if outcomes else ("missing", "empty list")
    if not isinstance(fact, dict):
        fact = {"value": fact}
    want = expected_value(fact)
    gval = None if got is None else got.get("value")
    if isinstance(want, str) and want.startswith("--") and "=" in want and got is not None:
        # A container's command list item written as one word (`- --train_batch_size=1`): its value.
        want = _norm(want.split("=", 1)[1])
        path = str(fact.get("path", ""))
        if path and not path.startswith(("argv:", "env:", "text:")):
            fact = {**fact, "path": "argv:" + fact["value"].split("=", 1)[0]}
    if want is None:
        if "per_rank" in fact or "paths" in fact:
            return ("right", "") if gval is None else ("wrong", f"per-rank batch read as {gval!r}")
        if gval is None or (got is not None and got.get("source") == "default" and name not in ("num_processes", "total")):
            return "right", ""
        if name in STRICT_NULL:
            return "wrong", f"manifest: not determined ({fact.get('why', '')[:80]}); batchlint: {gval!r} from {got.get('key') if got else ''}"
        return "right", ""
    if got is None or gval is None:
        return "missing", f"want {want!r}"
    if not same_value(gval, want) and not ("yaml_1_1_value" in fact and same_value(gval, fact["yaml_1_1_value"])):
        return "wrong", f"want {want!r}, got {gval!r} ({got.get('key')} line {got.get('line')})"
    path = fact.get("path")
    file = corpus_dir / fact["file"] if "file" in fact else corpus_dir / entry["file"]
    if path and "via" not in fact:
        if path.startswith("argv:"):
            flag = path[5:]
            if got.get("key") not in (flag, None) and not str(got.get("key", "")).endswith(flag):
                return "position", f"key {got.get('key')!r}, want {flag!r}"
        elif not path.startswith(("env:", "text:")):
            if got.get("key") != path:
                return "position", f"key {got.get('key')!r}, want {path!r}"
        line = expected_line(file, fact)
        if line is not None and got.get("line") != line:
            return "position", f"line {got.get('line')}, want {line}"
        if "file" in fact and not _same_file(got, file, root):
            return "position", f"file {got.get('file')!r}, want {fact['file']!r}"
    return "right", ""


def _inspect(args: list[str], cwd: Path) -> dict[str, Any]:
    from tests.helpers import run_cli

    code, out, err = run_cli("inspect", "--format", "json", *args, cwd=cwd)
    if code == 2 and "not a file batchlint reads" in err:
        return {"runs": [], "refused": err.strip()}  # a hostfile named on its own: read through the launch that names it
    if code != 0:
        return {"runs": [], "error": err.strip()}
    return json.loads(out)  # type: ignore[no-any-return]


def _check(args: list[str], cwd: Path) -> tuple[int, list[dict[str, Any]], str]:
    from tests.helpers import run_cli

    code, out, err = run_cli("check", "--format", "json", *args, cwd=cwd)
    try:
        return code, json.loads(out)["diagnostics"], err
    except ValueError:
        return code, [], err


def entry_checks(corpus_dir: Path, entry: dict[str, Any]) -> list[Check]:
    parts = entry["file"].split("/")
    root = corpus_dir / parts[0] / parts[1]
    rel = entry["path"]
    label = corpus_dir.name
    family = entry["dialect"]
    out: list[Check] = []
    if entry.get("training") is False:
        code, diags, err = _check([rel], root)
        result = _inspect([rel], root)
        training = [r for r in result["runs"] if r.get("kind", "launch" if r["dialect"] in ("accelerate", "deepspeed") else "training") == "training"]
        if code == 2 or "internal error" in err:
            out.append(Check(label, entry["file"], family, "non-training", "wrong", f"crash: {err.strip()[:160]}"))
        elif diags:
            out.append(Check(label, entry["file"], family, "non-training", "wrong", "findings: " + ", ".join(f"{d['code']}:{d['line']}" for d in diags)))
        elif training:
            out.append(Check(label, entry["file"], family, "non-training", "wrong", f"read as a {training[0]['dialect']} run"))
        else:
            out.append(Check(label, entry["file"], family, "non-training", "right", null=True))
        return out
    args = [rel]
    gpu = entry["facts"].get("gpu_count")
    if (
        isinstance(gpu, dict)
        and "file" in gpu
        and not str(gpu.get("path", "")).startswith(("argv:", "env:", "text:"))
        and "num_processes" not in entry["facts"]
    ):
        # The first corpus names an accelerate config no script of the repository passes (a README's
        # `accelerate launch --config_file ...`): given on the command line, as a user would.
        args += ["--accelerate-config", str(corpus_dir / gpu["file"])]
    result = _inspect(args, root)
    if "error" in result:
        out.append(Check(label, entry["file"], family, "inspect", "wrong", f"crash: {result['error'][:160]}"))
        return out
    out.append(Check(label, entry["file"], family, "inspect", "right", null=True))  # read without a crash
    run = _select_run(result["runs"], entry, root)
    facts = dict(entry["facts"])
    if "num_processes" not in facts and "gpu_count" in facts:
        facts["num_processes"] = facts["gpu_count"]
    if "total" not in facts and "total_batch" in facts:
        total = facts["total_batch"]
        facts["total"] = total if isinstance(total, dict) or total is None else {"value": total}
    if isinstance(facts.get("deepspeed"), dict) and "zero_stage" in facts["deepspeed"] and "zero_stage" not in facts:
        facts["zero_stage"] = facts["deepspeed"]["zero_stage"]
    for name in FACT_MAP:
        if name not in facts:
            continue
        fact = facts[name]
        if isinstance(fact, dict) and fact.get("value") is None and "why" not in fact and "path" not in fact and "per_rank" not in fact:
            continue
        if fact is None and name not in ("total", "num_processes"):
            continue  # "absent from the file": nothing to reproduce
        if fact is None:
            fact = {"value": None, "why": "null in the manifest"}
        outcome, detail = judge(corpus_dir, entry, root, run, name, fact)
        null = isinstance(fact, dict) and expected_value(fact) is None
        out.append(Check(label, entry["file"], family, name, outcome, detail, null))
    decoys = [
        d["path"]
        for d in facts.get("decoy_batch_keys", []) or []
        if isinstance(d, dict) and "path" in d and not d["path"].startswith(("argv:", "env:", "text:"))
    ]
    if decoys and run is not None:
        used = {f.get("key") for n, f in run["facts"].items() if n in ("per_device_batch", "global_batch", "grad_accum")}
        bad = sorted(str(k) for k in used & set(decoys))
        out.append(Check(label, entry["file"], family, "decoys", "wrong" if bad else "right", ", ".join(bad)))
    return out


def corpus_checks(corpus_dir: Path) -> list[Check]:
    manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    checks: list[Check] = []
    for entry in manifest:
        checks.extend(entry_checks(corpus_dir, entry))
    return checks


def table(checks: list[Check]) -> str:
    by: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for c in checks:
        if c.fact == "inspect":
            continue  # no crash: a check, not a fact
        for key in ((c.corpus, c.family), (c.corpus, "ALL")):
            by[key][c.outcome] += 1
            by[key]["null"] += c.null and c.outcome == "right"
    lines = [f"{'corpus':<8} {'family':<26} {'right':>5} {'(null)':>6} {'wrong':>5} {'posn':>5} {'miss':>5} {'total':>5}  {'%':>5}"]
    for (corpus, family), cnt in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1] == "ALL", kv[0][1])):
        total = cnt["right"] + cnt["wrong"] + cnt["position"] + cnt["missing"]
        lines.append(
            f"{corpus:<8} {family:<26} {cnt['right']:>5} {cnt['null']:>6} {cnt['wrong']:>5} {cnt['position']:>5} {cnt['missing']:>5}"
            f" {total:>5}  {100 * cnt['right'] / total:>5.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from tests.conftest import CORPUS, CORPUS2

    # Absolute: each repository is inspected from its own root, where a relative corpus path would not resolve.
    dirs = [Path(a).resolve() for a in argv if not a.startswith("-")] or [CORPUS, CORPUS2]
    checks: list[Check] = []
    for d in dirs:
        checks.extend(corpus_checks(d))
    if "-q" not in sys.argv:
        for c in checks:
            if c.outcome != "right":
                print(f"{c.outcome:<8} {c.corpus}/{c.file} [{c.fact}] {c.detail}")
    print(table(checks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
