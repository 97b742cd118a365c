#!/usr/bin/env python3
"""One run of "the same extraction job done with Python's common stack", for benchmarking Clearance against it.

Query a warehouse (SQLite or PostgreSQL), write the result as CSV or XLSX, bundle it in a zip with a manifest.json,
and encrypt the bundle (age passphrase or zip AES-256). Prints one line of JSON with the timings to stdout.

Two variants:

* ``pandas`` (default): what people typically write -- ``pd.read_sql(query, conn)``, then ``df.to_csv`` or
  ``df.to_excel(engine="openpyxl")`` into a temporary file, then ``zipfile``/``pyzipper`` around it, then (for age)
  ``pyrage.passphrase.encrypt`` on the zip's bytes. Everything is held in memory at some point.
* ``cursor``: the hand-tuned approach -- a DB-API cursor read with ``fetchmany`` (a server-side cursor on
  PostgreSQL), rows written with ``csv.writer`` straight into the zip entry's stream, and for age the zip written
  straight into a streaming age encryptor. Memory stays constant whatever the row count. For XLSX, openpyxl's
  write-only mode builds the workbook in a temporary file which is then added to the zip.

Run ``extract_baseline.py --help`` for the options; ``verify_bundle.py`` checks a bundle this script wrote.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import resource
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

FETCH_ROWS = 10_000
"""Rows per ``fetchmany`` call (and per FETCH of the PostgreSQL server-side cursor) in the cursor variant."""

XLSX_MAX_DATA_ROWS = 1_048_575
"""An Excel sheet holds 1,048,576 rows; one is the header."""

DEFAULT_PASSPHRASE = "clearance-bench"
"""Benchmark-only default, used when neither --passphrase nor $PYBENCH_PASSPHRASE is given."""

# pip package that provides each optional module, for the error message when it is missing.
PIP_NAMES = {
    "pandas": "pandas",
    "openpyxl": "openpyxl",
    "pyzipper": "pyzipper",
    "pyrage": "pyrage",
    "psycopg2": "psycopg2-binary",
    "Cryptodome": "pycryptodomex",
}


class Failure(Exception):
    """An error to report to the user in one line, without a traceback."""


def need(module: str):
    """Import ``module``, or fail with the pip package that provides it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        pip = PIP_NAMES.get(module.split(".")[0], module)
        raise Failure(
            f"Python module '{module}' is missing ({e}); install it with `pip install {pip}` "
            f"or `pip install -r benches/python/requirements.txt`"
        ) from None


# --------------------------------------------------------------------------------------------------------------------
# Source URLs


class Source:
    """A parsed --source URL: ``sqlite:///abs/path.db`` (or ``sqlite://relative.db``) or ``postgres://...``."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite://"):
            self.kind = "sqlite"
            path = url[len("sqlite://") :].split("?", 1)[0]
            if not path:
                raise Failure(f"bad --source {url!r}: expected sqlite:///absolute/path.db")
            if not Path(path).is_file():
                raise Failure(f"bad --source {url!r}: no SQLite database at {path}")
            self.path = path
        elif url.startswith(("postgres://", "postgresql://")):
            self.kind = "postgres"
        else:
            raise Failure(
                f"bad --source {url!r}: expected sqlite:///abs/path.db or postgres://user@host:port/db"
            )

    def connect(self):
        if self.kind == "sqlite":
            import sqlite3

            # Read-only, so a typo never creates an empty database.
            return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        psycopg2 = need("psycopg2")
        try:
            return psycopg2.connect(self.url)
        except psycopg2.Error as e:
            raise Failure(f"cannot connect to {self.url}: {str(e).strip()}") from None


def db_errors() -> tuple[type[BaseException], ...]:
    """Database exception classes to turn into one-line failures (of the modules this run imported)."""
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.Error]
    if "psycopg2" in sys.modules:
        errors.append(sys.modules["psycopg2"].Error)
    if "pandas" in sys.modules:
        errors.append(sys.modules["pandas"].errors.DatabaseError)  # read_sql wraps the driver's error
    return tuple(errors)


# --------------------------------------------------------------------------------------------------------------------
# Streaming age encryption (passphrase / scrypt recipient), https://age-encryption.org/v1
#
# pyrage only encrypts a passphrase-protected file from bytes in memory, which defeats a constant-memory pipeline.
# This writer produces the same format chunk by chunk (64 KiB STREAM chunks of ChaCha20-Poly1305), using hashlib's
# scrypt and pycryptodomex (already installed as pyzipper's dependency). verify_bundle.py decrypts with pyrage, so
# every bundle written this way is checked by an independent implementation.

AGE_CHUNK = 64 * 1024
AGE_SCRYPT_LOG_N = 18
"""log2 of scrypt's N: the age reference implementation's fixed default (256 MiB, about a second). pyrage, like the
Rust age crate, instead calibrates it on the machine at each encryption (20 here: 1 GiB and several seconds)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()  # one 32-byte block


class AgeWriter(io.RawIOBase):
    """A write-only binary stream that age-encrypts everything written to it into ``out``."""

    def __init__(self, out, passphrase: str, log_n: int = AGE_SCRYPT_LOG_N):
        super().__init__()
        self._aead = need("Cryptodome.Cipher.ChaCha20_Poly1305")
        file_key = os.urandom(16)
        salt = os.urandom(16)
        wrap_key = hashlib.scrypt(
            passphrase.encode(),
            salt=b"age-encryption.org/v1/scrypt" + salt,
            n=1 << log_n,
            r=8,
            p=1,
            maxmem=(128 * 8 << log_n) + (1 << 20),
            dklen=32,
        )
        body = self._seal(wrap_key, bytes(12), file_key)
        header = (
            f"age-encryption.org/v1\n-> scrypt {_b64(salt)} {log_n}\n{_b64(body)}\n---".encode()
        )
        mac = hmac.new(_hkdf_sha256(file_key, b"", b"header"), header, hashlib.sha256).digest()
        nonce = os.urandom(16)
        self._out = out
        self._out.write(header + f" {_b64(mac)}\n".encode() + nonce)
        self._key = _hkdf_sha256(file_key, nonce, b"payload")
        self._buf = bytearray()
        self._counter = 0

    def _seal(self, key: bytes, nonce: bytes, data) -> bytes:
        cipher = self._aead.new(key=key, nonce=nonce)
        ct, tag = cipher.encrypt_and_digest(data)
        return ct + tag

    def _chunk(self, data, last: bool) -> None:
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        self._out.write(self._seal(self._key, nonce, data))
        self._counter += 1

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buf += data
        # Keep at least one byte back: the last chunk must be flagged, and only close() knows which one it is.
        n = (len(self._buf) - 1) // AGE_CHUNK
        if n > 0:
            view = memoryview(self._buf)
            for i in range(n):
                self._chunk(view[i * AGE_CHUNK : (i + 1) * AGE_CHUNK], last=False)
            view.release()
            del self._buf[: n * AGE_CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._chunk(bytes(self._buf), last=True)
            self._buf = bytearray()
        super().close()


# --------------------------------------------------------------------------------------------------------------------
# Bundling


def manifest_json(name: str, fmt: str, rows: int, columns: list[str], sha256: str, size: int, variant: str) -> str:
    return json.dumps(
        {
            "file": name,
            "format": fmt,
            "rows": rows,
            "columns": columns,
            "sha256": sha256,
            "bytes": size,
            "created_by": f"benches/python/extract_baseline.py --variant {variant}",
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        },
        indent=2,
    )


def open_zip(target, encrypt: str, passphrase: str):
    """A zip writer on ``target`` (path or stream): AES-256 (WinZip AE) for zip-aes, plain deflate for age."""
    if encrypt == "zip-aes":
        pyzipper = need("pyzipper")
        zf = pyzipper.AESZipFile(target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES)
        zf.setpassword(passphrase.encode())
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        return zf
    return zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def naive_utc(value):
    """Excel has no time zones: tz-aware datetimes are written as naive UTC (as one must with openpyxl)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------------------------------------------------
# Variants. Each returns (rows, stage timings); the caller times the whole run.


def run_pandas(src: Source, args, tmp: Path, out_tmp: Path) -> tuple[int, dict[str, float]]:
    pd = need("pandas")
    stages = {}

    t = time.perf_counter()
    conn = src.connect()
    with warnings.catch_warnings():
        # pandas warns that it only "supports" SQLAlchemy connectables and sqlite3; a psycopg2 connection works.
        warnings.filterwarnings("ignore", message=".*pandas only supports SQLAlchemy", category=UserWarning)
        df = pd.read_sql(args.query, conn)
    conn.close()
    stages["query"] = time.perf_counter() - t

    t = time.perf_counter()
    data_name = f"data.{args.format}"
    data_path = tmp / data_name
    if args.format == "csv":
        df.to_csv(data_path, index=False)
    else:
        need("openpyxl")
        if len(df) > XLSX_MAX_DATA_ROWS:
            raise Failure(f"{len(df)} rows do not fit in one Excel sheet ({XLSX_MAX_DATA_ROWS} at most); use --format csv")
        for col in df.columns:
            if isinstance(df[col].dtype, pd.DatetimeTZDtype):
                df[col] = df[col].dt.tz_convert("UTC").dt.tz_localize(None)
        df.to_excel(data_path, index=False, engine="openpyxl")
    stages["write"] = time.perf_counter() - t
    rows, columns = len(df), [str(c) for c in df.columns]
    del df

    t = time.perf_counter()
    digest, size = sha256_file(data_path), data_path.stat().st_size
    manifest = manifest_json(data_name, args.format, rows, columns, digest, size, "pandas")
    zip_path = out_tmp if args.encrypt == "zip-aes" else tmp / "bundle.zip"
    with open_zip(zip_path, args.encrypt, args.passphrase) as zf:
        zf.write(data_path, data_name)
        zf.writestr("manifest.json", manifest)
    data_path.unlink()
    stages["bundle"] = time.perf_counter() - t

    t = time.perf_counter()
    if args.encrypt == "age":
        pyrage = need("pyrage")
        out_tmp.write_bytes(pyrage.passphrase.encrypt(zip_path.read_bytes(), args.passphrase))
        zip_path.unlink()
    stages["encrypt"] = time.perf_counter() - t
    return rows, stages


def run_cursor(src: Source, args, tmp: Path, out_tmp: Path) -> tuple[int, dict[str, float]]:
    stages = {"query": 0.0, "write": 0.0, "bundle": 0.0, "encrypt": 0.0}
    out_file = open(out_tmp, "wb")
    age = None
    if args.encrypt == "age":
        age_impl = args.age_impl if args.age_impl != "auto" else "stream"
        if age_impl == "stream":
            t = time.perf_counter()
            age = AgeWriter(out_file, args.passphrase, args.scrypt_log_n)  # scrypt runs here
            stages["encrypt"] += time.perf_counter() - t
            zip_target = age
        else:
            zip_target = tmp / "bundle.zip"
    else:
        zip_target = out_file

    t = time.perf_counter()
    conn = src.connect()
    if src.kind == "postgres":
        cur = conn.cursor(name="extract_baseline")  # server-side cursor: rows arrive FETCH_ROWS at a time
        cur.itersize = FETCH_ROWS
    else:
        cur = conn.cursor()
    cur.execute(args.query)
    batch = cur.fetchmany(FETCH_ROWS)  # a server-side cursor only has a description after the first fetch
    columns = [d[0] for d in cur.description]
    stages["query"] += time.perf_counter() - t

    data_name = f"data.{args.format}"
    rows = size = 0
    zf = open_zip(zip_target, args.encrypt, args.passphrase)
    if args.format == "csv":
        # CSV goes straight into the (compressing, maybe encrypting) zip entry, hashed on the way.
        t = time.perf_counter()
        info_cls = getattr(zf, "zipinfo_cls", zipfile.ZipInfo)  # pyzipper's AESZipInfo for zip-aes
        info = info_cls(data_name, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        entry = zf.open(info, "w", force_zip64=True)
        digest = hashlib.sha256()
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        while True:
            writer.writerows(batch)
            rows += len(batch)
            chunk = text.getvalue().encode()
            text.seek(0)
            text.truncate()
            digest.update(chunk)
            entry.write(chunk)
            size += len(chunk)
            if not batch:
                break
            stages["write"] += time.perf_counter() - t
            t = time.perf_counter()
            batch = cur.fetchmany(FETCH_ROWS)
            stages["query"] += time.perf_counter() - t
            t = time.perf_counter()
        entry.close()
        digest_hex = digest.hexdigest()
        stages["write"] += time.perf_counter() - t
    else:
        openpyxl = need("openpyxl")
        data_path = tmp / data_name
        t = time.perf_counter()
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Sheet1")
        ws.append(columns)
        while batch:
            rows += len(batch)
            if rows > XLSX_MAX_DATA_ROWS:
                raise Failure(f"more than {XLSX_MAX_DATA_ROWS} rows do not fit in one Excel sheet; use --format csv")
            for row in batch:
                ws.append([naive_utc(v) for v in row])
            stages["write"] += time.perf_counter() - t
            t = time.perf_counter()
            batch = cur.fetchmany(FETCH_ROWS)
            stages["query"] += time.perf_counter() - t
            t = time.perf_counter()
        wb.save(data_path)
        stages["write"] += time.perf_counter() - t
        t = time.perf_counter()
        digest_hex, size = sha256_file(data_path), data_path.stat().st_size
        zf.write(data_path, data_name)
        data_path.unlink()
        stages["bundle"] += time.perf_counter() - t
    cur.close()
    conn.close()

    t = time.perf_counter()
    zf.writestr("manifest.json", manifest_json(data_name, args.format, rows, columns, digest_hex, size, "cursor"))
    zf.close()
    bundle_done = time.perf_counter()
    stages["bundle"] += bundle_done - t

    if age is not None:
        # Closing the zip pushed its directory through the age writer; the last chunk is sealed here.
        age.close()
    elif args.encrypt == "age":
        pyrage = need("pyrage")
        out_file.write(pyrage.passphrase.encrypt(Path(zip_target).read_bytes(), args.passphrase))
        Path(zip_target).unlink()
    out_file.close()
    stages["encrypt"] += time.perf_counter() - bundle_done
    return rows, stages


# --------------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Python baseline for Clearance's extraction pipeline: query -> CSV/XLSX -> zip -> encrypt. "
        "Prints one line of JSON with timings.",
    )
    p.add_argument("--source", required=True, help="sqlite:///abs/path.db or postgres://user@host:port/db")
    p.add_argument("--query", required=True, help="SQL query to extract, e.g. 'SELECT * FROM customers'")
    p.add_argument("--format", required=True, choices=["csv", "xlsx"])
    p.add_argument("--encrypt", required=True, choices=["age", "zip-aes"])
    p.add_argument("--out", required=True, type=Path, help="bundle to write (.zip.age or .zip); replaced if present")
    p.add_argument(
        "--passphrase",
        default=os.environ.get("PYBENCH_PASSPHRASE", DEFAULT_PASSPHRASE),
        help=f"encryption passphrase (default: $PYBENCH_PASSPHRASE, else {DEFAULT_PASSPHRASE!r})",
    )
    p.add_argument(
        "--variant",
        default="pandas",
        choices=["pandas", "cursor"],
        help="pandas: read_sql + to_csv/to_excel (typical); cursor: fetchmany + csv.writer streaming (hand-tuned)",
    )
    p.add_argument(
        "--age-impl",
        default="auto",
        choices=["auto", "pyrage", "stream"],
        help="age encryption: pyrage.passphrase.encrypt on the whole zip in memory, or the streaming writer "
        "in this script; auto = pyrage for pandas, stream for cursor (pandas always uses pyrage)",
    )
    p.add_argument(
        "--scrypt-log-n",
        type=int,
        default=AGE_SCRYPT_LOG_N,
        choices=range(10, 23),
        metavar="{10..22}",
        help=f"scrypt work factor of the streaming age writer (default {AGE_SCRYPT_LOG_N}, as the age reference "
        "implementation; pyrage picks its own)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.passphrase:
        print("extract_baseline: error: the passphrase is empty", file=sys.stderr)
        return 2
    out = args.out.resolve()
    if not out.parent.is_dir():
        print(f"extract_baseline: error: output directory {out.parent} does not exist", file=sys.stderr)
        return 2
    out_tmp = out.with_name(out.name + ".partial")
    start = time.perf_counter()
    try:
        src = Source(args.source)
        with tempfile.TemporaryDirectory(prefix="pybench-", dir=out.parent) as tmp:
            run = run_pandas if args.variant == "pandas" else run_cursor
            rows, stages = run(src, args, Path(tmp), out_tmp)
        os.replace(out_tmp, out)
    except (Failure, *db_errors()) as e:
        out_tmp.unlink(missing_ok=True)
        print(f"extract_baseline: error: {str(e).strip()}", file=sys.stderr)
        return 1
    except BaseException:
        out_tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - start
    result = {
        "variant": args.variant,
        "format": args.format,
        "encrypt": args.encrypt,
        "rows": rows,
        "seconds": round(seconds, 3),
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "out_bytes": out.stat().st_size,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
