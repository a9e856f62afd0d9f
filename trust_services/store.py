"""The development CA's directory: keys, certificates, ``testca.json`` and the issuance register.

Layout of ``D``::

    root-ca.key/.pem       the root CA (keys are written 0600)
    issuing-ca.key/.pem    the intermediate, when ``--intermediate`` was given
    ocsp.key/.pem          the delegated OCSP responder of the issuing CA
    tsa.key/.pem           the time-stamping authority
    chain.pem              issuing CA then root, for clients that want the path
    testca.json            paths and, once served, URLs, for scripts
    testca.db              issued certificates, revocations, the TSA serial counter (SQLite)

The register is SQLite (stdlib ``sqlite3``) so that ``vdx testca revoke`` in one process is seen
by the OCSP responder of a running ``vdx testca serve`` at its next request, and so that the
TSA serial counter survives restarts and never repeats.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from trust_services import pki
from trust_services.ocsp_responder import CertRecord
from trust_services.tsa import DEFAULT_POLICY
from vdx.fileio import write_atomic

MANIFEST = "testca.json"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    serial_hex TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    not_after TEXT NOT NULL,
    pem TEXT NOT NULL,
    revoked_at TEXT,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class StoreError(Exception):
    """A CA directory problem the operator must fix (message says what)."""


def serial_hex(serial: int) -> str:
    """The serial as ``openssl x509 -serial`` prints it: upper-case hex, even length."""
    text = f"{serial:X}"
    return text if len(text) % 2 == 0 else f"0{text}"


@dataclass(frozen=True, slots=True)
class LoadedCa:
    root: x509.Certificate
    issuing: pki.Issuer
    ocsp: pki.Issuer
    tsa: pki.Issuer


@dataclass(frozen=True, slots=True)
class IssuedCert:
    serial_hex: str
    profile: str
    subject: str
    issued_at: str
    not_after: str
    revoked_at: str | None
    reason: str | None


class CaDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    # ------------------------------------------------------------------ files

    def _write_key(self, filename: str, key: pki.PrivateKey) -> Path:
        path = self.root / filename
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path

    def _write_cert(self, filename: str, *certs: x509.Certificate) -> Path:
        path = self.root / filename
        path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
        return path

    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if not path.is_file():
            raise StoreError(f"{self.root} is not a test CA directory (no {MANIFEST})")
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        # Atomic: a running `serve` and the CLI read it while it changes.
        write_atomic(self.root / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())

    def init(
        self,
        now: dt.datetime,
        *,
        intermediate: bool,
        key_kind: str,
        tsa_policy: str = DEFAULT_POLICY,
    ) -> dict[str, Any]:
        if (self.root / MANIFEST).exists():
            raise StoreError(f"{self.root} already holds a test CA")
        self.root.mkdir(parents=True, exist_ok=True)
        root_key = pki.new_key(key_kind)
        root_cert = pki.root_ca(root_key, pki.name("VDX Test Root CA"), now)
        self._write_key("root-ca.key", root_key)
        files = {"ca_cert": str(self._write_cert("root-ca.pem", root_cert))}
        issuing = pki.Issuer(root_cert, root_key)
        if intermediate:
            key = pki.new_key(key_kind)
            cert = pki.intermediate_ca(issuing, key, pki.name("VDX Test Issuing CA"), now)
            self._write_key("issuing-ca.key", key)
            files["intermediate_cert"] = str(self._write_cert("issuing-ca.pem", cert))
            issuing = pki.Issuer(cert, key)
        files["issuing_ca_cert"] = str(
            self.root / ("issuing-ca.pem" if intermediate else "root-ca.pem")
        )
        ocsp_key = pki.new_key(key_kind)
        ocsp_cert = pki.ocsp_responder(issuing, ocsp_key, pki.name("VDX Test OCSP Responder"), now)
        self._write_key("ocsp.key", ocsp_key)
        files["ocsp_cert"] = str(self._write_cert("ocsp.pem", ocsp_cert))
        tsa_key = pki.new_key(key_kind)
        tsa_cert = pki.tsa(issuing, tsa_key, pki.name("VDX Test TSA"), now)
        self._write_key("tsa.key", tsa_key)
        files["tsa_cert"] = str(self._write_cert("tsa.pem", tsa_cert))
        chain = [issuing.cert] if not intermediate else [issuing.cert, root_cert]
        files["chain"] = str(self._write_cert("chain.pem", *chain))
        with self._db() as db:
            db.executescript(_SCHEMA)
        manifest: dict[str, Any] = {
            **files,
            "intermediate": intermediate,
            "key_kind": key_kind,
            "tsa_policy": tsa_policy,
        }
        self.write_manifest(manifest)
        return manifest

    def load(self) -> LoadedCa:
        manifest = self.manifest()

        def cert(filename: str) -> x509.Certificate:
            return x509.load_pem_x509_certificate((self.root / filename).read_bytes())

        def key(filename: str) -> pki.PrivateKey:
            loaded = serialization.load_pem_private_key((self.root / filename).read_bytes(), None)
            assert isinstance(loaded, pki.PrivateKey)  # noqa: S101 - written by init()
            return loaded

        root = cert("root-ca.pem")
        issuing = pki.Issuer(root, key("root-ca.key"))
        if manifest.get("intermediate"):
            issuing = pki.Issuer(cert("issuing-ca.pem"), key("issuing-ca.key"))
        return LoadedCa(
            root=root,
            issuing=issuing,
            ocsp=pki.Issuer(cert("ocsp.pem"), key("ocsp.key")),
            tsa=pki.Issuer(cert("tsa.pem"), key("tsa.key")),
        )

    # ------------------------------------------------------------------ register

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.root / "testca.db", timeout=10, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            yield connection
        finally:
            connection.close()

    def record_issued(self, cert: x509.Certificate, profile: str, now: dt.datetime) -> str:
        serial = serial_hex(cert.serial_number)
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        with self._db() as db:
            db.execute(
                "INSERT INTO certificates (serial_hex, profile, subject, issued_at, not_after, pem)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    serial,
                    profile,
                    cert.subject.rfc4514_string(),
                    now.isoformat(),
                    cert.not_valid_after_utc.isoformat(),
                    pem,
                ),
            )
        return serial

    def revoke(self, serial: str, reason: x509.ReasonFlags, now: dt.datetime) -> None:
        normalised = serial_hex(int(serial.removeprefix("0x").removeprefix("0X"), 16))
        with self._db() as db:
            row = db.execute(
                "SELECT revoked_at FROM certificates WHERE serial_hex = ?", (normalised,)
            ).fetchone()
            if row is None:
                raise StoreError(f"no certificate with serial {normalised} was issued here")
            if row[0] is not None:
                raise StoreError(f"certificate {normalised} was already revoked at {row[0]}")
            db.execute(
                "UPDATE certificates SET revoked_at = ?, reason = ? WHERE serial_hex = ?",
                (now.isoformat(), reason.value, normalised),
            )

    def lookup(self, serial: int) -> CertRecord | None:
        with self._db() as db:
            row = db.execute(
                "SELECT revoked_at, reason FROM certificates WHERE serial_hex = ?",
                (serial_hex(serial),),
            ).fetchone()
        if row is None:
            return None
        revoked_at = dt.datetime.fromisoformat(row[0]) if row[0] else None
        reason = x509.ReasonFlags(row[1]) if row[1] else None
        return CertRecord(serial, revoked_at, reason)

    def issued(self) -> list[IssuedCert]:
        with self._db() as db:
            rows = db.execute(
                "SELECT serial_hex, profile, subject, issued_at, not_after, revoked_at, reason"
                " FROM certificates ORDER BY issued_at"
            ).fetchall()
        return [IssuedCert(*row) for row in rows]

    def next_tsa_serial(self) -> int:
        """A serial number never used before, also across restarts (RFC 3161 §2.4.2)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO counters (name, value) VALUES ('tsa', 0)")
            db.execute("UPDATE counters SET value = value + 1 WHERE name = 'tsa'")
            (value,) = db.execute("SELECT value FROM counters WHERE name = 'tsa'").fetchone()
            db.execute("COMMIT")
        return int(value)
