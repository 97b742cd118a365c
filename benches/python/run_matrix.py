#!/usr/bin/env python3
"""Run extract_baseline.py over a matrix of variants/formats/encryptions, measure each run's wall time and peak RSS
from outside (wait4), and check each bundle with verify_bundle.py.

    run_matrix.py --source URL [--query SQL] [--variants pandas,cursor] [--formats csv,xlsx]
                  [--encrypts age,zip-aes] [--out-dir DIR] [--rows N] [--no-verify] [--keep]

Prints one JSON line per run (the script's own JSON plus "wall_seconds", "peak_rss_kb" and "verified") and a
table at the end on stderr. Exits 1 if any run or verification failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_measured(cmd: list[str]) -> tuple[int, float, int, str, str]:
    """Run cmd; return (exit status, wall seconds, peak RSS in KiB of the child, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, wall, usage.ru_maxrss, out.read().decode(), err.read().decode()


def split(s: str) -> list[str]:
    return [x for x in s.split(",") if x]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Run the Python baseline matrix with external wall time and peak RSS.")
    p.add_argument("--source", required=True, help="sqlite:///abs/path.db or postgres://user@host:port/db")
    p.add_argument("--query", default="SELECT * FROM customers")
    p.add_argument("--variants", type=split, default=["pandas", "cursor"])
    p.add_argument("--formats", type=split, default=["csv", "xlsx"])
    p.add_argument("--encrypts", type=split, default=["age", "zip-aes"])
    p.add_argument("--out-dir", type=Path, help="where bundles go (default: a temporary directory)")
    p.add_argument("--rows", type=int, help="expected row count, checked by verify_bundle.py")
    p.add_argument("--no-verify", action="store_true", help="skip verify_bundle.py")
    p.add_argument("--keep", action="store_true", help="keep the bundles (always kept with --out-dir)")
    p.add_argument("extra", nargs="*", help="more arguments for extract_baseline.py, after --")
    args = p.parse_args(argv)

    cleanup = args.out_dir is None and not args.keep
    if args.out_dir is None:
        args.out_dir = Path(tempfile.mkdtemp(prefix="pybench-matrix-"))
    args.out_dir.mkdir(parents=True, exist_ok=True)

    results, failed = [], False
    for variant in args.variants:
        for fmt in args.formats:
            for enc in args.encrypts:
                ext = "zip.age" if enc == "age" else "zip"
                out = args.out_dir / f"{variant}-{fmt}-{enc}.{ext}"
                cmd = [sys.executable, str(HERE / "extract_baseline.py"), "--source", args.source, "--query",
                       args.query, "--format", fmt, "--encrypt", enc, "--variant", variant, "--out", str(out),
                       *args.extra]
                code, wall, rss, stdout, stderr = run_measured(cmd)
                if code != 0:
                    failed = True
                    print(f"FAILED {variant}/{fmt}/{enc} (exit {code}): {stderr.strip()}", file=sys.stderr)
                    results.append((variant, fmt, enc, None, wall, rss, False))
                    continue
                result = json.loads(stdout.strip().splitlines()[-1])
                result.update(wall_seconds=round(wall, 3), peak_rss_kb=rss, verified=None)
                if not args.no_verify:
                    vcmd = [sys.executable, str(HERE / "verify_bundle.py"), str(out)]
                    if args.rows is not None:
                        vcmd += ["--rows", str(args.rows)]
                    v = subprocess.run(vcmd, capture_output=True, text=True)
                    result["verified"] = v.returncode == 0
                    if v.returncode != 0:
                        failed = True
                        print(v.stderr.strip(), file=sys.stderr)
                print(json.dumps(result), flush=True)
                results.append((variant, fmt, enc, result, wall, rss, result["verified"]))
                if cleanup and result["verified"] is not False:
                    out.unlink()
    print(f"\n{'variant':8} {'format':6} {'encrypt':8} {'rows':>9} {'wall s':>8} {'peak RSS MiB':>12} "
          f"{'out MiB':>8}  verified", file=sys.stderr)
    for variant, fmt, enc, r, wall, rss, ok in results:
        rows = r["rows"] if r else "-"
        size = f"{r['out_bytes'] / 2**20:.1f}" if r else "-"
        print(f"{variant:8} {fmt:6} {enc:8} {rows:>9} {wall:8.2f} {rss / 1024:12.0f} {size:>8}  {ok}",
              file=sys.stderr)
    if cleanup:
        args.out_dir.rmdir()
    else:
        print(f"bundles in {args.out_dir}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
