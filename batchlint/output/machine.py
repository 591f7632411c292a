"""Machine formats for CI: JSON Lines, SARIF 2.1.0 (GitHub code scanning), GitLab Code Quality, JUnit XML."""

from __future__ import annotations

import hashlib
import json
import re
from xml.sax.saxutils import escape, quoteattr

from batchlint import PROJECT_URL, __version__
from batchlint.output.text import source_line
from batchlint.report import Report
from batchlint.rules import BY_CODE, Diagnostic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def rule_url(code: str) -> str:
    return f"{PROJECT_URL}/blob/main/docs/rules.md#{code.lower()}"


def write_json_lines(report: Report, out: TextIO) -> None:
    for d in report.diagnostics:
        out.write(json.dumps(d.as_json(report.sources), ensure_ascii=False) + "\n")


def _region(d: Diagnostic) -> dict[str, int]:
    region = {"startLine": d.span.line, "startColumn": d.span.column}
    if (d.span.end_line, d.span.end_column) > (d.span.line, d.span.column):
        region.update(endLine=d.span.end_line, endColumn=d.span.end_column)
    return region


# Where a message names a line: "line 22", "lines 3-5", "train.yaml:22:3" (the number goes, the words stay).
_LINE_REFS = re.compile(r"\b(lines?)\s+\d+(?:\s*(?:-|–|to|and)\s*\d+)?|(\.[A-Za-z]\w*):\d+(?::\d+)?")
FINGERPRINT_KEY = "batchlint/v1"


def fingerprint(d: Diagnostic, line_text: str | None) -> str:
    """What identifies a finding across commits, wherever its line moves: the rule, the file, the
    message without line numbers and the text of the offending line (stripped)."""
    message = _LINE_REFS.sub(lambda m: m.group(1) or m.group(2), d.message)
    key = "\0".join((d.code, d.span.file.replace("\\", "/"), message, (line_text or "").strip()))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _fingerprints(report: Report) -> list[str]:
    """One fingerprint per finding; the same finding on two identical lines counts 1, 2 in file order."""
    seen: dict[str, int] = {}
    out = []
    for d in report.diagnostics:
        key = fingerprint(d, source_line(report.sources.get(d.span.file), d.span.line))
        seen[key] = seen.get(key, 0) + 1
        out.append(f"{key}:{seen[key]}")
    return out


def sarif_document(report: Report) -> dict[str, Any]:
    import inspect

    codes = sorted({d.code for d in report.diagnostics})
    rules = []
    for code in codes:
        rule = BY_CODE[code]
        doc = inspect.cleandoc(type(rule).__doc__ or rule.summary)
        rules.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": doc.split("\n\n")[0]},
                "help": {"text": doc, "markdown": doc},
                "helpUri": rule_url(code),
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            }
        )
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d, key in zip(report.diagnostics, _fingerprints(report), strict=True):
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f" (help: {d.help})" if d.help else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": d.span.file.replace("\\", "/")}, "region": _region(d)}}],
            "partialFingerprints": {FINGERPRINT_KEY: key},
        }
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.label},
                    "physicalLocation": {
                        "artifactLocation": {"uri": r.span.file.replace("\\", "/")},
                        "region": {"startLine": r.span.line, "startColumn": r.span.column},
                    },
                }
                for i, r in enumerate(d.related)
            ]
        if d.fix is not None and d.fix.edits:
            changes: dict[str, list[dict[str, Any]]] = {}
            for e in d.fix.edits:
                where = e.as_json(report.sources.get(e.file))
                deleted = (
                    {"startLine": where["line"], "startColumn": where["column"], "endLine": where["end_line"], "endColumn": where["end_column"]}
                    if "line" in where
                    else {"charOffset": e.start, "charLength": e.end - e.start}
                )
                changes.setdefault(e.file, []).append({"deletedRegion": deleted, "insertedContent": {"text": e.content}})
            result["fixes"] = [
                {"description": {"text": d.fix.message}, "artifactChanges": [{"artifactLocation": {"uri": f}, "replacements": r} for f, r in changes.items()]}
            ]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "batchlint", "version": __version__, "informationUri": PROJECT_URL, "rules": rules}}, "results": results}],
    }


def write_sarif(report: Report, out: TextIO) -> None:
    json.dump(sarif_document(report), out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_gitlab(report: Report, out: TextIO) -> None:
    items = []
    for d, key in zip(report.diagnostics, _fingerprints(report), strict=True):
        items.append(
            {
                "description": f"{d.code} {d.message}",
                "check_name": d.code,
                "fingerprint": key,
                "severity": _GITLAB_SEVERITY[d.severity],
                "location": {"path": d.span.file, "lines": {"begin": d.span.line, "end": d.span.end_line}},
            }
        )
    json.dump(items, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_junit(report: Report, out: TextIO) -> None:
    failing = [d for d in report.diagnostics if d.severity in ("error", "warning")]  # info is not a failure
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    total = max(1, len(failing))
    out.write(f'<testsuites name="batchlint" tests="{total}" failures="{len(failing)}">\n')
    out.write(f'  <testsuite name="batchlint" tests="{total}" failures="{len(failing)}">\n')
    if not failing:
        out.write('    <testcase name="batchlint" classname="batchlint"/>\n')
    for d in failing:
        name = f"{d.code} {d.span.file}:{d.span.line}:{d.span.column}"
        out.write(f"    <testcase name={quoteattr(name)} classname={quoteattr(d.span.file)}>\n")
        out.write(
            f"      <failure message={quoteattr(d.message)} type={quoteattr(d.severity)}>"
            f"{escape(f'{d.span.file}:{d.span.line}:{d.span.column}: {d.code} {d.message}')}</failure>\n"
        )
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")
