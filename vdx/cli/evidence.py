"""``vdx asic verify`` and ``vdx archive verify``: offline verdicts on message-log evidence.

Exit status: 0 verified, 1 refused (the X-Road error code and the reason are printed), 2 the
requested verification cannot be done (usage, or full verification not available).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from vdx import clock
from vdx.crypto.archive import ArchiveVerdict, verify_archive
from vdx.crypto.asic_verify import AsicVerdict, EvidenceCheckers, verify_container
from vdx.crypto.evidence import evidence_checkers
from vdx.errors import XRoadError
from vdx.globalconf.trust import load_trust_dir

asic_app = typer.Typer(help="Verify ASiC-E evidence containers.", no_args_is_help=True)
archive_app = typer.Typer(help="Verify message-log archives.", no_args_is_help=True)

# Builds the cryptographic checks from a trust folder (--trust DIR): a global configuration
# folder whose shared parameters approve the CAs, OCSP responders and TSAs (see
# vdx.globalconf.trust.load_trust_dir). Replaceable, e.g. by tests.
CheckersFactory = Callable[[Path], EvidenceCheckers]


def trust_dir_checkers(trust_dir: Path) -> EvidenceCheckers:
    return evidence_checkers(load_trust_dir(trust_dir))


checkers_factory: CheckersFactory | None = trust_dir_checkers


# A callback keeps each app a command group ("vdx asic verify"), even with one command.
@asic_app.callback()
def asic_group() -> None:
    """Verify ASiC-E evidence containers."""


@archive_app.callback()
def archive_group() -> None:
    """Verify message-log archives."""


FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="File to verify.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")]


def _refuse(error: XRoadError, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"valid": False, "code": error.fault_code, "message": error.message}))
    else:
        print(f"refused: {error.fault_code}")
        print(f"  {error.message}")
    raise typer.Exit(1)


def _unavailable(reason: str, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"valid": None, "error": reason}))
    else:
        typer.echo(reason, err=True)
    raise typer.Exit(2)


@asic_app.command("verify")
def asic_verify(
    file: FileArg,
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            exists=True,
            file_okay=False,
            help="Global configuration folder (shared-params.xml, or a folder of dated versions)"
            " whose approved CAs, OCSP responders and TSAs are trusted.",
        ),
    ] = None,
    integrity_only: Annotated[
        bool,
        typer.Option(
            "--integrity-only",
            help="Check structure, manifest and digests only; no signature or time-stamp check.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Verify an ASiC-E container: ZIP frame, entries, manifest, digests, then signature,
    hash chain and time-stamp (the last three need --trust)."""
    checkers = None
    if not integrity_only:
        if checkers_factory is None:
            _unavailable(
                "full verification (signature, certificates, OCSP, time-stamp) is not available"
                " yet; it will need --trust DIR. Use --integrity-only to check structure and"
                " digests.",
                as_json=as_json,
            )
            return
        if trust is None:
            _unavailable(
                "full verification needs --trust DIR (or use --integrity-only)", as_json=as_json
            )
            return
        checkers = _checkers(checkers_factory, trust, as_json=as_json)
    try:
        verdict = verify_container(
            file.read_bytes(), checkers=checkers, now=clock.utc_now() if checkers else None
        )
    except XRoadError as error:
        _refuse(error, as_json=as_json)
        return
    _print_asic(verdict, as_json=as_json)


def _checkers(factory: CheckersFactory, trust: Path, *, as_json: bool) -> EvidenceCheckers:
    try:
        return factory(trust)
    except XRoadError as error:
        _unavailable(f"cannot use --trust {trust}: {error.message}", as_json=as_json)
        raise  # unreachable: _unavailable exits


def _print_asic(verdict: AsicVerdict, *, as_json: bool) -> None:
    fields = {
        "valid": True,
        "integrity_only": verdict.integrity_only,
        "signed_files": list(verdict.signed_files),
        "batch_signature": verdict.batch_signature,
        "timestamp": verdict.timestamp,
        "checked": list(verdict.checked),
        "notes": list(verdict.notes),
        "evidence": dict(verdict.evidence),
    }
    if as_json:
        print(json.dumps(fields, indent=2))
        return
    scope = "integrity verified (signature not checked)" if verdict.integrity_only else "verified"
    print(f"valid ASiC-E container: {scope}")
    print(f"  signed files  {', '.join(verdict.signed_files)}")
    print(f"  signature     {'batch (hash chain)' if verdict.batch_signature else 'single'}")
    print(f"  time-stamp    {verdict.timestamp}")
    print(f"  checked       {', '.join(verdict.checked)}")
    for label, fact in verdict.evidence:
        print(f"  {label:<13} {fact}")
    for note in verdict.notes:
        print(f"  note          {note}")


@archive_app.command("verify")
def archive_verify(
    file: FileArg,
    previous_digest: Annotated[
        str | None,
        typer.Option(
            "--previous-digest",
            help="Last digest of the previous archive ('-' for the first archive).",
        ),
    ] = None,
    containers: Annotated[
        bool,
        typer.Option(
            "--containers",
            help="Also check each container: integrity, and with --trust fully (as asic verify).",
        ),
    ] = False,
    trust: Annotated[
        Path | None,
        typer.Option(
            "--trust",
            exists=True,
            file_okay=False,
            help="Global configuration folder for full verification of each container.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a message-log archive's linking chain; print the digest the next archive names."""
    check: Callable[[bytes], object] | None = verify_container if containers else None
    scope = "integrity checked" if containers else "not opened (give --containers)"
    if trust is not None:
        if not containers or checkers_factory is None:
            _unavailable("--trust needs --containers (and full verification)", as_json=as_json)
            return
        checkers = _checkers(checkers_factory, trust, as_json=as_json)
        now = clock.utc_now()

        def full(data: bytes) -> object:
            return verify_container(data, checkers=checkers, now=now)

        check, scope = full, f"fully verified (trust {trust})"
    try:
        verdict = verify_archive(
            file.read_bytes(), previous_digest=previous_digest, check_container=check
        )
    except XRoadError as error:
        _refuse(error, as_json=as_json)
        return
    _print_archive(verdict, scope, as_json=as_json)


def _print_archive(verdict: ArchiveVerdict, scope: str, *, as_json: bool) -> None:
    fields = {
        "valid": True,
        "previous_digest": verdict.previous_digest or "-",
        "previous_checked": verdict.previous_checked,
        "algorithm": verdict.algorithm,
        "containers": list(verdict.containers),
        "last_digest": verdict.last_digest,
        "containers_checked": scope,
    }
    if as_json:
        print(json.dumps(fields, indent=2))
        return
    print(f"valid message-log archive: {len(verdict.containers)} containers linked")
    link = "checked" if verdict.previous_checked else "NOT checked (give --previous-digest)"
    print(f"  previous digest  {verdict.previous_digest or '-'} ({link})")
    print(f"  algorithm        {verdict.algorithm}")
    print(f"  last digest      {verdict.last_digest}")
    print(f"  containers       {scope}")
