#!/usr/bin/env python3
"""Check a bundle written by extract_baseline.py: decrypt it, open the zip, and check its data file against
manifest.json (sha256, byte size, header columns, row count).

    verify_bundle.py BUNDLE [--passphrase P] [--rows N]

The encryption is recognised from the file itself: an age file (decrypted with pyrage, an implementation
independent of the streaming writer in extract_baseline.py) or a zip with AES entries (opened with pyzipper).
Exit status 0 when everything matches, 1 with a message otherwise.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path

AGE_MAGIC = b"age-encryption.org/v1\n"
DEFAULT_PASSPHRASE = "clearance-bench"


class Mismatch(Exception):
    """The bundle is not what its manifest says (or cannot be opened)."""


def need(module: str, pip: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        raise Mismatch(f"Python module '{module}' is missing ({e}); install it with `pip install {pip}`") from None


def open_bundle(path: Path, passphrase: str):
    """The bundle's zip, opened for reading with the passphrase set, and how it was encrypted."""
    with open(path, "rb") as f:
        magic = f.read(len(AGE_MAGIC))
    if magic == AGE_MAGIC:
        pyrage = need("pyrage", "pyrage")
        try:
            plain = pyrage.passphrase.decrypt(path.read_bytes(), passphrase)
        except pyrage.DecryptError as e:
            raise Mismatch(f"age decryption failed (wrong passphrase or damaged file): {e}") from None
        try:
            return zipfile.ZipFile(io.BytesIO(plain)), "age"
        except zipfile.BadZipFile as e:
            raise Mismatch(f"the decrypted age payload is not a zip: {e}") from None
    if magic.startswith(b"PK"):
        pyzipper = need("pyzipper", "pyzipper")
        zf = pyzipper.AESZipFile(path)
        zf.setpassword(passphrase.encode())
        return zf, "zip-aes"
    raise Mismatch("not an age file nor a zip")


def count_csv(stream) -> tuple[list[str], int]:
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    header = next(reader, [])
    return header, sum(1 for _ in reader)


def count_xlsx(stream) -> tuple[list[str], int]:
    openpyxl = need("openpyxl", "openpyxl")
    wb = openpyxl.load_workbook(stream, read_only=True)
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = [str(c) for c in next(rows, ())]
    n = sum(1 for _ in rows)
    wb.close()
    return header, n


def verify(path: Path, passphrase: str, expect_rows: int | None, quick: bool = False) -> str:
    zf, how = open_bundle(path, passphrase)
    with zf:
        names = zf.namelist()
        if "manifest.json" not in names:
            raise Mismatch(f"no manifest.json in the bundle (entries: {names})")
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except RuntimeError as e:  # pyzipper: bad password
            raise Mismatch(f"cannot decrypt the zip entries (wrong passphrase?): {e}") from None
        if "files" in manifest:  # Clearance's manifest: one entry per data file, columns with types and masking
            f = manifest["files"][0]
            manifest = {
                "file": f["name"],
                "sha256": f["sha256"],
                "bytes": f["bytes"],
                "rows": f["rows"],
                "columns": [c["name"] for c in f["columns"]],
            }
        name = manifest["file"]
        if name not in names:
            raise Mismatch(f"manifest names {name!r}, which is not in the bundle (entries: {names})")

        digest, size = hashlib.sha256(), 0
        with zf.open(name) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != manifest["sha256"]:
            raise Mismatch(f"{name}: sha256 {digest.hexdigest()} but the manifest says {manifest['sha256']}")
        if size != manifest["bytes"]:
            raise Mismatch(f"{name}: {size} bytes but the manifest says {manifest['bytes']}")

        if name.endswith(".csv"):
            with zf.open(name) as f:
                header, rows = count_csv(f)
        elif name.endswith(".xlsx") and quick:
            return f"OK {path} ({how}): {name}, sha256 and size match (rows not counted: --quick)"
        elif name.endswith(".xlsx"):
            # openpyxl needs a seekable file; the xlsx is at most a few hundred MB.
            header, rows = count_xlsx(io.BytesIO(zf.read(name)))
        else:
            raise Mismatch(f"{name}: unknown data format")
        if header != manifest["columns"]:
            raise Mismatch(f"{name}: header {header} but the manifest says {manifest['columns']}")
        if rows != manifest["rows"]:
            raise Mismatch(f"{name}: {rows} data rows but the manifest says {manifest['rows']}")
        if expect_rows is not None and rows != expect_rows:
            raise Mismatch(f"{name}: {rows} data rows, expected {expect_rows}")
    return f"OK {path} ({how}): {name}, {rows} rows, {len(header)} columns, sha256 {manifest['sha256'][:16]}…"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Verify a bundle written by extract_baseline.py.")
    p.add_argument("bundle", type=Path)
    p.add_argument(
        "--passphrase",
        default=os.environ.get("PYBENCH_PASSPHRASE", DEFAULT_PASSPHRASE),
        help=f"passphrase (default: $PYBENCH_PASSPHRASE, else {DEFAULT_PASSPHRASE!r})",
    )
    p.add_argument("--rows", type=int, help="also require this many data rows")
    p.add_argument("--quick", action="store_true", help="for XLSX, check hash and size only (reading rows is slow)")
    args = p.parse_args(argv)
    try:
        if not args.bundle.is_file():
            raise Mismatch("no such file")
        print(verify(args.bundle, args.passphrase, args.rows, args.quick))
        return 0
    except (Mismatch, OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
        print(f"verify_bundle: FAILED {args.bundle}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
