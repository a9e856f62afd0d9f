"""The message log on the running federation (see :mod:`tests.e2e.federation`): every exchange
logged four times and time-stamped once, downloaded as ASiC-E containers through ``/asic`` and
verified offline with ``vdx asic verify``, ``vdx archive verify`` and ``openssl ts -verify``; no
acknowledged exchange lost when a security server is killed under load; traffic refused after
the time-stamping grace period and resumed when the TSA is back.

The federation sets ``timeStampingIntervalSeconds`` to 2 s on the central server and a grace
period of 8 s on the security servers (``MESSAGELOG_SETTINGS``). The TSA outage test is last
in this module (it sorts after test_federation.py) and leaves the TSA running again.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPException
from pathlib import Path

import pytest
from lxml import etree

from tests.e2e.federation import (
    MESSAGELOG_GRACE_SECONDS,
    Federation,
    SecurityServer,
    restart_security_server,
)
from tests.e2e.processes import VDX, http, wait_until
from vdx.crypto.asic import ENTRY_SIGNATURE, ENTRY_TIMESTAMP, ENTRY_TS_HASH_CHAIN_RESULT

OPENSSL = shutil.which("openssl")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
STAMPED_SECONDS = 40  # several 2 s rounds, with room for a loaded machine

pytestmark = [
    pytest.mark.skipif(OPENSSL is None, reason="openssl is needed for these tests"),
    pytest.mark.timeout(600),
]


# ------------------------------------------------------------------ exchanges
def _ids(client: str) -> str:
    names = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
    return "".join(
        f"<iden:{n}>{v}</iden:{n}>" for n, v in zip(names, client.split(":"), strict=True)
    )


def soap(fed: Federation) -> tuple[str, int, str | None]:
    """One helloService.v1 call: (query id, HTTP status, fault code or None)."""
    query_id = str(uuid.uuid4())
    body = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:xro="http://x-road.eu/xsd/xroad.xsd"'
        ' xmlns:iden="http://x-road.eu/xsd/identifiers"><s:Header>'
        f'<xro:client iden:objectType="SUBSYSTEM">{_ids(fed.consumer.subsystem)}</xro:client>'
        f'<xro:service iden:objectType="SERVICE">{_ids(fed.provider.subsystem)}'
        "<iden:serviceCode>helloService</iden:serviceCode>"
        "<iden:serviceVersion>v1</iden:serviceVersion></xro:service>"
        f"<xro:id>{query_id}</xro:id><xro:protocolVersion>4.0</xro:protocolVersion>"
        '</s:Header><s:Body><p:helloService xmlns:p="http://test.x-road.global/producer">'
        "<p:name>Log</p:name></p:helloService></s:Body></s:Envelope>"
    )
    status, _, answer = http(
        fed.consumer.client_url, data=body.encode(), headers={"Content-Type": "text/xml"}
    )
    fault = etree.fromstring(answer).findtext(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/faultcode")
    return query_id, status, fault


def rest(fed: Federation, timeout: float = 30) -> str:
    """One REST call (``X-Road-Client``); the query id is the ``X-Road-Id`` it was given."""
    client = fed.consumer.subsystem.replace(":", "/")
    provider = fed.provider.subsystem.replace(":", "/")
    status, headers, body = http(
        f"{fed.consumer.client_url}/r1/{provider}/demo/hello?name=Log",
        headers={"X-Road-Client": client},
        timeout=timeout,
    )
    assert status == 200, body
    assert json.loads(body)["message"].startswith("Hello Log!")
    return {k.lower(): v for k, v in headers.items()}["x-road-id"]


# ------------------------------------------------------------------ downloads
def asic_zip(server: SecurityServer, query_id: str) -> tuple[int, bytes]:
    """``GET /asic`` on ``server`` for its own subsystem's records of ``query_id``."""
    parts = dict(
        zip(
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"),
            server.subsystem.split(":"),
            strict=True,
        )
    )
    query = urllib.parse.urlencode({"queryId": query_id, **parts})
    status, _, body = http(f"{server.client_url}/asic?{query}")
    return status, body


def stamped_containers(server: SecurityServer, query_id: str) -> dict[str, bytes]:
    """The request's and the response's container, once both are time-stamped."""

    def ready() -> dict[str, bytes] | None:
        status, body = asic_zip(server, query_id)
        # 500 "not timestamped yet" until the next round; anything else is an answer.
        assert status in (200, 500), (status, body)
        if status != 200:
            return None
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    found: dict[str, bytes] = wait_until(
        f"{query_id} stamped on {server.name}", ready, STAMPED_SECONDS
    )
    kinds = sorted(name.split("-")[-2] for name in found)
    assert kinds == ["request", "response"], sorted(found)
    return found


def verificationconf(server: SecurityServer, into: Path) -> Path:
    status, _, body = http(f"{server.client_url}/verificationconf")
    assert status == 200, body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(into)
    return into / "verificationconf"


def _vdx_json(*args: str) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603 - our own console script
        [VDX, *args, "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"vdx {' '.join(args)}:\n{result.stdout}{result.stderr}"
    verdict: dict[str, object] = json.loads(result.stdout)
    return verdict


def _one_timestamp(container: bytes) -> bytes | None:
    """The batch token of a container that carries exactly one time-stamp (None: the token
    is the one embedded in the signature)."""
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        names = set(archive.namelist())
        embedded = b"SignatureTimeStamp" in archive.read(ENTRY_SIGNATURE)
        token = archive.read(ENTRY_TIMESTAMP) if ENTRY_TIMESTAMP in names else None
    assert (token is None) == embedded, "a container carries exactly one time-stamp"
    return token


def _openssl_ts_verify(fed: Federation, container: bytes, work: Path) -> None:
    """The batch token over ``ts-hashchainresult.xml`` (what the reference time-stamps; see
    vdx.crypto.evidence), verified by OpenSSL against the test CA's root; the TSA certificate
    and its issuing CA are given as untrusted intermediates."""
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        (work / "token.tst").write_bytes(archive.read(ENTRY_TIMESTAMP))
        (work / "result.xml").write_bytes(archive.read(ENTRY_TS_HASH_CHAIN_RESULT))
    (work / "other.xml").write_bytes(b"<other/>")
    ca = fed.root / "ca"
    (work / "chain.pem").write_bytes(
        (ca / "tsa.pem").read_bytes() + (ca / "issuing-ca.pem").read_bytes()
    )

    def verify(data: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - openssl with test files
            [
                *(OPENSSL or "openssl", "ts", "-verify", "-token_in"),
                *("-in", str(work / "token.tst"), "-data", str(work / data)),
                *("-CAfile", str(ca / "root-ca.pem"), "-untrusted", str(work / "chain.pem")),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    result = verify("result.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification: OK" in result.stdout
    # The same token over other data is refused: the imprint is what was checked.
    assert verify("other.xml").returncode != 0


# ------------------------------------------------------------------ tests
def _archived_names(server: SecurityServer) -> dict[Path, set[str]]:
    folder = server.directory / "data" / "messagelog"
    found = {}
    for path in sorted(folder.glob("mlog-*.zip")):
        with zipfile.ZipFile(path) as archive:
            found[path] = set(archive.namelist())
    return found


def test_every_exchange_logged_four_times_stamped_and_verifiable(
    fed: Federation, tmp_path: Path
) -> None:
    query_ids = []
    for _ in range(2):
        query_id, status, fault = soap(fed)
        assert (status, fault) == (200, None)
        query_ids += [query_id, rest(fed)]
    trust = verificationconf(fed.consumer, tmp_path / "conf")
    containers: dict[str, bytes] = {}
    for server in (fed.consumer, fed.provider):
        for query_id in query_ids:
            found = stamped_containers(server, query_id)
            containers.update({f"{server.name}-{name}": data for name, data in found.items()})
    assert len(containers) == 4 * len(query_ids)

    # Every container verified offline: signature, hash chain, time-stamp (one each).
    folder = tmp_path / "containers"
    folder.mkdir()
    tokens = {}
    for name, data in containers.items():
        (folder / name).write_bytes(data)
        token = _one_timestamp(data)
        if token is not None:
            tokens[token] = data
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(
            pool.map(
                lambda name: _vdx_json("asic", "verify", str(folder / name), "--trust", str(trust)),
                containers,
            )
        )
    for verdict in verdicts:
        assert verdict["valid"] is True, verdict
        assert verdict["integrity_only"] is False, verdict
        assert verdict["timestamp"] in ("batch", "signature"), verdict

    # The batch tokens, verified by OpenSSL over what they time-stamp.
    assert tokens, "no batch time-stamp among the containers"
    for index, data in enumerate(tokens.values()):
        work = tmp_path / f"openssl-{index}"
        work.mkdir()
        _openssl_ts_verify(fed, data, work)

    # The archives: every container archived on its server, and each archive verified.
    for server in (fed.consumer, fed.provider):
        wanted = {
            name.removeprefix(f"{server.name}-")
            for name in containers
            if name.startswith(f"{server.name}-")
        }

        def archived(
            server: SecurityServer = server, wanted: set[str] = wanted
        ) -> dict[Path, set[str]] | None:
            archives = _archived_names(server)
            together = set().union(*archives.values()) if archives else set()
            return archives if wanted <= together else None

        archives = wait_until(f"{server.name}'s archives", archived, STAMPED_SECONDS)
        ours = [path for path, names in archives.items() if names & wanted]
        for path in ours:
            verdict = _vdx_json(
                "archive", "verify", str(path), "--containers", "--trust", str(trust)
            )
            assert verdict["valid"] is True, verdict
            assert str(verdict["containers_checked"]).startswith("fully verified"), verdict


def _load(fed: Federation, stop: threading.Event, acknowledged: list[str]) -> None:
    """Exchanges back to back until ``stop``; the ids of those answered 200 are kept."""
    while not stop.is_set():
        try:
            acknowledged.append(rest(fed, timeout=5))
        except (AssertionError, OSError, HTTPException, KeyError, ValueError):
            time.sleep(0.05)  # refused or cut off by the kill: not acknowledged


def test_killed_security_server_loses_no_acknowledged_exchange(fed: Federation) -> None:
    server = fed.consumer
    stop, acknowledged = threading.Event(), list[str]()
    workers = [
        threading.Thread(target=_load, args=(fed, stop, acknowledged), name=f"load-{n}")
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    try:
        wait_until("exchanges under load", lambda: len(acknowledged) >= 20, 30)

        # Killed while acknowledged records still wait for their time-stamp ("not
        # timestamped yet", 500): the restarted server must stamp that backlog.
        def backlog() -> bool:
            return asic_zip(server, acknowledged[-1])[0] == 500

        wait_until("an acknowledged exchange not yet time-stamped", backlog, 10)
        assert server.service is not None
        server.service.process.send_signal(signal.SIGKILL)
        server.service.process.wait(timeout=10)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    assert len(acknowledged) >= 20
    restart_security_server(server)
    # Every exchange the test was answered is in the log, both messages, time-stamped.
    for query_id in list(acknowledged):
        stamped_containers(server, query_id)
    rest(fed)  # and traffic goes on


def test_tsa_outage_grace_period_refusal_and_recovery(fed: Federation) -> None:
    """Last in the module: it stops the TSA (the test CA) and starts it again."""
    stopped = time.monotonic()  # before: the TSA stops answering while the process stops
    fed.ca.stop()
    during: list[str] = []
    try:
        # Within the grace period exchanges go on (their records wait for a time-stamp).
        while time.monotonic() - stopped < MESSAGELOG_GRACE_SECONDS / 2:
            query_id, status, fault = soap(fed)
            assert (status, fault) == (200, None), "refused within the grace period"
            during.append(query_id)
            time.sleep(0.5)

        # Then, once time-stamping has failed for longer than the period, they are refused.
        def refused() -> str | None:
            query_id, status, fault = soap(fed)
            if fault is None:
                assert status == 200
                during.append(query_id)
                return None
            return fault

        fault = wait_until("traffic refused", refused, 4 * MESSAGELOG_GRACE_SECONDS)
        assert time.monotonic() - stopped > MESSAGELOG_GRACE_SECONDS
        assert fault.endswith(".TimestampingFailed"), fault
    finally:
        fed.restart_ca()
    # With the TSA back the next round succeeds and traffic resumes.
    wait_until("traffic resumed", lambda: soap(fed)[2] is None, 30)
    for query_id in during:  # the backlog of the outage is time-stamped
        stamped_containers(fed.consumer, query_id)
