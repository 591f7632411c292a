"""One owner and URL everywhere (README, schemas, action, package metadata, SARIF), links to the
project's own files that exist, no documented tag that does not, and a schemas/README.md whose
examples and SchemaStore entries are right."""

from __future__ import annotations

import json
import re
import subprocess

import jsonschema
import pytest
import yaml

from batchlint import PROJECT_URL, schema_url
from tests.conftest import REPO

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

OWNER_REPO = PROJECT_URL.removeprefix("https://github.com/")
DOCUMENTS = [
    "README.md",
    "CHANGELOG.md",
    "schemas/README.md",
    "action.yml",
    "pyproject.toml",
    ".pre-commit-hooks.yaml",
    *[str(p.relative_to(REPO)) for p in sorted((REPO / "schemas").glob("*.json"))],
]
# github.com/<owner>/<repo> or raw.githubusercontent.com/<owner>/<repo>, where either names batchlint
OURS = re.compile(r"https?://(?:github\.com|raw\.githubusercontent\.com)/([\w.-]+)/([\w.-]+)(/[^\s\"'`)<>\]]*)?")


def _text(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")


def _our_urls() -> list[tuple[str, str, str]]:
    found = []
    for name in DOCUMENTS:
        for m in OURS.finditer(_text(name)):
            if "batchlint" in (m.group(1) + m.group(2)).lower():
                found.append((name, f"{m.group(1)}/{m.group(2)}", m.group(3) or ""))
    return found


def test_project_url_is_a_github_repository() -> None:
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", PROJECT_URL)


def test_one_owner_everywhere() -> None:
    urls = _our_urls()
    assert len(urls) > 10
    assert [(name, repo) for name, repo, _ in urls if repo != OWNER_REPO] == []
    for name in DOCUMENTS:
        assert "your-org" not in _text(name) and "batchlint.dev" not in _text(name), name


def test_links_to_the_projects_files_exist() -> None:
    for name, _repo, rest in _our_urls():
        m = re.match(r"/(?:blob|tree)/main/([^#?]+)|/main/([^#?]+)", rest)
        if m:
            path = m.group(1) or m.group(2)
            assert (REPO / path).exists(), f"{name} links to {path}, which does not exist"


def test_package_metadata_and_sarif_use_the_project_url() -> None:
    project = tomllib.loads(_text("pyproject.toml"))["project"]
    assert project["license"] == "Apache-2.0" and (REPO / "LICENSE").read_text(encoding="utf-8").count("Apache License") >= 1
    assert project["urls"] and all(url.startswith(PROJECT_URL) for url in project["urls"].values())
    from tests.helpers import run_cli

    code, out, _ = run_cli("check", "--format", "sarif", "train.yaml", "--num-processes", "8", cwd=REPO / "tests" / "cases" / "BL105_float_batch")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URL
    assert driver["rules"] and all(r["helpUri"].startswith(f"{PROJECT_URL}/blob/main/docs/rules.md#") for r in driver["rules"])


def test_no_documented_tag_that_does_not_exist() -> None:
    """`rev:` and `uses: ...@` name a commit to pin, or a release tag that exists."""
    refs = re.findall(r"rev:\s*(\S+)", _text("README.md")) + re.findall(rf"uses:\s*{re.escape(OWNER_REPO)}@(\S+)", _text("README.md"))
    assert refs, "the README documents how to pin batchlint in pre-commit and GitHub Actions"
    tags = [ref for ref in refs if re.fullmatch(r"v?\d+(\.\d+)+", ref)]
    if not tags:
        return
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: cannot list the release tags")
    existing = subprocess.run(["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert set(tags) <= set(existing), f"documented tags that do not exist: {sorted(set(tags) - set(existing))}"


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_schemastore_entries_name_every_published_schema() -> None:
    entries = next(json.loads(b) for b in _blocks(_text("schemas/README.md"), "json") if b.lstrip().startswith("["))
    names = sorted(p.name.removesuffix(".schema.json") for p in (REPO / "schemas").glob("*.schema.json"))
    assert sorted(e["url"] for e in entries) == sorted(schema_url(n) for n in names)
    for e in entries:
        assert set(e) <= {"name", "description", "fileMatch", "url"} and e["name"] and e["description"]
        assert not e["description"].endswith((".", ":")), "SchemaStore: no trailing punctuation"
        assert e.get("fileMatch", ["x"]), "SchemaStore: omit fileMatch rather than leave it empty"


def test_modeline_examples_validate_against_their_schema() -> None:
    from omegaconf import OmegaConf

    examples = [b for doc in ("README.md", "schemas/README.md") for b in _blocks(_text(doc), "yaml") if "$schema=" in b]
    assert len(examples) >= 3
    for block in examples:
        url = re.search(r"\$schema=(\S+)", block).group(1)  # type: ignore[union-attr]
        name = url.rsplit("/", 1)[1]
        assert url == schema_url(name.removesuffix(".schema.json"))
        schema = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        instance = OmegaConf.to_container(OmegaConf.create(block), resolve=False) if name.startswith(("musev", "animateanyone")) else yaml.safe_load(block)
        assert jsonschema.validators.validator_for(schema)(schema).is_valid(instance), block
