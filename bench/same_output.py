"""Whether two checkouts of batchlint print the same bytes, every format, serial and parallel.

    python bench/same_output.py --a OLD_CHECKOUT --b NEW_CHECKOUT DIR [DIR ...]

Each DIR is checked from its parent directory (`batchlint check --no-cache --exit-zero NAME`) with
the package of each checkout first on PYTHONPATH, in the formats full, concise, json and sarif; the
old checkout serially, the new one serially and with the parallel walk (above its file threshold).
Prints one line per difference and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

FORMATS = ("full", "concise", "json", "sarif")


def run(checkout: str, target: str, fmt: str, serial: bool, extra_env: dict[str, str]) -> tuple[int, bytes, bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("BATCHLINT_SERIAL", "PRE_COMMIT", "GITHUB_ACTIONS")}
    env.update(NO_COLOR="1", PYTHONPATH=os.path.abspath(checkout), **extra_env)
    if serial:
        env["BATCHLINT_SERIAL"] = "1"
    parent, name = os.path.split(os.path.abspath(target))
    cmd = [sys.executable, "-m", "batchlint", "check", "--no-cache", "--exit-zero", "--format", fmt, name]
    proc = subprocess.run(cmd, cwd=parent, env=env, capture_output=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="the reference checkout (its directory holding batchlint/)")
    parser.add_argument("--b", required=True, help="the checkout under test")
    parser.add_argument("--b-env", action="append", default=[], help="NAME=VALUE set for the checkout under test only")
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    b_env = dict(item.split("=", 1) for item in args.b_env)
    differences = 0
    for target in args.dirs:
        for fmt in FORMATS:
            want = run(args.a, target, fmt, True, {})
            for serial in (True, False):
                got = run(args.b, target, fmt, serial, b_env)
                label = f"{target} --format {fmt} ({'serial' if serial else 'parallel'})"
                if got != want:
                    differences += 1
                    what = [n for n, x, y in zip(("exit code", "stdout", "stderr"), want, got, strict=True) if x != y]
                    print(f"DIFFERENT {label}: {', '.join(what)}")
                else:
                    print(f"same      {label} ({len(want[1])} bytes)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
