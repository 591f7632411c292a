#!/usr/bin/env bash
# Build the wheel and the sdist as a release would, check what the sdist ships, install the wheel
# into a fresh venv and run the README's quickstart there, then run the test suite from the
# unpacked sdist (it ships the tests whole). `--no-tests` skips that last, slower step.
# Usage: bash ci/package_check.sh [--no-tests]
set -euo pipefail
cd "$(dirname "$0")/.."
run_tests=1
[[ "${1:-}" == "--no-tests" ]] && run_tests=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "package check: $*" >&2; exit 1; }

echo "== build wheel and sdist"
# From a clean copy of the sources: setuptools also ships whatever a stale *.egg-info/SOURCES.txt
# of an earlier build lists, which would hide a file MANIFEST.in no longer includes.
mkdir "$work/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [[ -e "$f" ]] && cp --parents -p -- "$f" "$work/src/"
    done
else
    tar cf - --exclude='*.egg-info' --exclude=.venv --exclude=build --exclude=dist . | tar xf - -C "$work/src"
fi
python3 -m venv "$work/build-venv"
"$work/build-venv/bin/pip" install -q build
"$work/build-venv/bin/python" -m build --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "python -m build failed"; }
sdists=("$work"/dist/batchlint-*.tar.gz)
wheels=("$work"/dist/batchlint-*-py3-none-any.whl)
[[ ${#sdists[@]} -eq 1 && -f "${sdists[0]}" ]] || fail "expected one sdist in $work/dist"
[[ ${#wheels[@]} -eq 1 && -f "${wheels[0]}" ]] || fail "expected one pure-Python wheel in $work/dist"
sdist="${sdists[0]}" wheel="${wheels[0]}"

echo "== what the sdist ships"
tar tzf "$sdist" | sed 's#^[^/]*/##' | sort >"$work/sdist.txt"
for f in LICENSE CHANGELOG.md README.md pyproject.toml action.yml .pre-commit-hooks.yaml schemas/README.md \
         batchlint/schemas/musev-train.schema.json examples/musev/train.yaml docs/rules.md \
         tests/__init__.py tests/conftest.py tests/helpers.py tests/cases/ tests/fix_cases/ tests/fixtures/; do
    grep -qxF "$f" "$work/sdist.txt" || fail "the sdist lacks $f"
done
# every file git tracks under tests/ is in the sdist: the tests are shipped whole
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    missing="$(git ls-files tests | sort | comm -23 - "$work/sdist.txt")"
    [[ -z "$missing" ]] || fail "the sdist lacks tracked test files: $(echo "$missing" | head -5 | tr '\n' ' ')"
fi
! grep -E '(^|/)__pycache__/|\.pyc$' "$work/sdist.txt" || fail "the sdist ships compiled files"
echo "$(wc -l <"$work/sdist.txt") entries, $(grep -c '^tests/' "$work/sdist.txt") under tests/"

echo "== the wheel in a fresh venv: the quickstart"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
# The listing goes to a file first: `unzip -l | grep -q` under pipefail fails whenever grep's early exit
# lands unzip a SIGPIPE before its last lines (132 of 200 runs here), which read as a missing LICENSE.
unzip -l "$wheel" >"$work/wheel.txt" || fail "unzip -l could not list $wheel"
grep -q 'batchlint-.*dist-info/licenses/LICENSE' "$work/wheel.txt" || fail "the wheel lacks its LICENSE"
version="$("$work/venv/bin/batchlint" --version)"
[[ "$version" == "batchlint $(grep -oP '__version__ = "\K[^"]+' batchlint/__init__.py)" ]] || fail "unexpected version: $version"
set +e
BATCHLINT_CACHE_DIR="$work/cache" "$work/venv/bin/batchlint" check examples/musev/train.yaml \
    --accelerate-config examples/musev/accelerate_16gpu.yaml >"$work/quickstart.txt" 2>&1
code=$?
set -e
cat "$work/quickstart.txt"
[[ $code -eq 1 ]] || fail "the quickstart exited $code, the README says 1"
for code in BL101 BL102 BL201; do
    grep -q "$code" "$work/quickstart.txt" || fail "the quickstart did not report $code as the README says"
done

if [[ $run_tests -eq 1 ]]; then
    echo "== the test suite from the unpacked sdist"
    mkdir "$work/sdist"
    tar xzf "$sdist" -C "$work/sdist"
    "$work/venv/bin/pip" install -q "$wheel[test]"
    root=("$work"/sdist/batchlint-*)
    corpus="${BATCHLINT_CORPUS:-$PWD/../shared/corpus}"  # the sdist lies elsewhere: point the tests at the corpus
    (cd "${root[0]}" && BATCHLINT_CORPUS="$corpus" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider)
fi
echo "package check: OK"
