"""``vdx sandbox`` driven from outside, as its user would: started as a subprocess, then the
printed ``curl`` examples pasted into a shell, a zeep client built from the consumer's WSDL
download, the admin APIs called with the keys from ``sandbox.json``; Ctrl-C stops everything;
a second start on the same data directory comes back without onboarding."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree

from tests.e2e.processes import http

VDX = str(Path(sys.executable).parent / "vdx")
CURL = shutil.which("curl")
READY_SECONDS = 60  # how long to wait for "sandbox ready" before giving up
BUDGET_SECONDS = 30  # the promise on a 2-core machine (about 10 s measured)
HELLO = "Hello Sandbox! Greetings from adapter server!"

pytestmark = [
    pytest.mark.skipif(CURL is None, reason="curl is needed to paste the examples"),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc for children"),
    pytest.mark.timeout(300),
]


@dataclass
class Run:
    """One ``vdx sandbox`` process and what it printed."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    def output(self) -> str:
        return "".join(self.lines)

    def children(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the sandbox alone; its exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=40)
        self.close()
        return code

    def close(self) -> None:
        if self.reader is not None:
            self.reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start(data_dir: Path) -> Run:
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [VDX, "sandbox", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    run = Run(process)

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.append(line)
            if line.strip() == "sandbox ready":
                run.ready.set()
        run.ready.set()

    run.reader = threading.Thread(target=drain, name="sandbox-output", daemon=True)
    run.reader.start()
    if not run.ready.wait(READY_SECONDS) or process.poll() is not None:
        # SIGINT first: the sandbox stops its children; a kill would leave them running.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        run.close()
        raise AssertionError(f"the sandbox did not get ready:\n{run.output()}")
    return run


def ready_seconds(run: Run) -> float:
    (line,) = [x for x in run.lines if x.startswith("VDX sandbox ready in ")]
    return float(line.split()[4])


def shell(command: str) -> str:
    """Run a printed example exactly as pasted into a POSIX shell."""
    answer = subprocess.run(  # noqa: S602 - the sandbox's own printed example, on purpose
        command, shell=True, capture_output=True, text=True, timeout=60, check=False
    )
    assert answer.returncode == 0, (command, answer.stderr)
    return answer.stdout


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox") / "data"


@pytest.fixture(scope="module")
def first(data_dir: Path) -> Iterator[Run]:
    run = start(data_dir)
    yield run
    if run.process.poll() is None:
        run.interrupt()


@pytest.fixture(scope="module")
def info(first: Run, data_dir: Path) -> dict[str, Any]:
    del first  # running
    data: dict[str, Any] = json.loads((data_dir / "sandbox.json").read_text())
    return data


def test_onboards_within_the_budget_and_prints_the_examples(
    first: Run, info: dict[str, Any]
) -> None:
    assert "federation onboarded" in first.output()
    assert ready_seconds(first) < BUDGET_SECONDS
    for example in ("soap_curl", "rest_curl", "wsdl_url"):
        assert info["examples"][example] in first.output()
    assert {s["name"] for s in info["security_servers"]} == {"consumer", "provider"}
    assert info["clients"] == {
        "consumer": "VN/COM/2002/CONSUMER",
        "provider": "VN/GOV/1001/PROVIDER",
    }
    assert Path(info["central_server"]["anchor_file"]).is_file()


def test_printed_soap_curl_reaches_the_provider(info: dict[str, Any]) -> None:
    root = etree.fromstring(shell(info["examples"]["soap_curl"]).encode())
    (message,) = root.iter("{http://test.x-road.global/producer}message")
    assert message.text == HELLO
    # Signed and logged by the provider's security server: it adds the request hash (pr-mess).
    assert root.find(".//{http://x-road.eu/xsd/xroad.xsd}requestHash") is not None


def test_printed_rest_curl_reaches_the_provider(info: dict[str, Any]) -> None:
    assert json.loads(shell(info["examples"]["rest_curl"])) == {"message": HELLO}


def test_zeep_client_from_the_consumers_wsdl_download(info: dict[str, Any], tmp_path: Path) -> None:
    status, _, document = http(info["examples"]["wsdl_url"])
    assert status == 200, document
    path = tmp_path / "service.wsdl"
    path.write_bytes(document)
    client = zeep.Client(str(path))
    consumer_url = info["security_servers"][0]["client_url"]
    service = client.create_service(next(iter(client.wsdl.bindings)), consumer_url)
    names = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
    consumer = dict(zip(names, info["clients"]["consumer"].split("/"), strict=True))
    provider = dict(zip(names, info["clients"]["provider"].split("/"), strict=True))

    def headers(code: str) -> dict[str, object]:
        return {
            "client": {**consumer, "objectType": "SUBSYSTEM"},
            "service": {
                **provider,
                "serviceCode": code,
                "serviceVersion": "v1",
                "objectType": "SERVICE",
            },
            "id": str(uuid.uuid4()),
            "protocolVersion": "4.0",
        }

    hello = service.helloService(name="Zeep", _soapheaders=headers("helloService"))
    assert hello.body.response.message == "Hello Zeep! Greetings from adapter server!"
    random = service.getRandom(_soapheaders=headers("getRandom"))
    assert 1 <= random.body.response.data <= 100


def test_admin_apis_answer_with_the_keys(info: dict[str, Any]) -> None:
    keys = info["api_keys"]
    cs = info["central_server"]["admin_url"]
    auth = {"Authorization": f"X-Road-ApiKey token={keys['central_server']}"}
    status, _, body = http(f"{cs}/members", headers=auth)
    assert status == 200, body
    assert {m["id"] for m in json.loads(body)} >= {"VN:GOV:1001", "VN:COM:2002"}
    status, _, _ = http(f"{cs}/members")
    assert status == 401
    for server in info["security_servers"]:
        auth = {"Authorization": f"X-Road-ApiKey token={keys[server['name']]}"}
        status, _, body = http(f"{server['admin_url']}/clients", headers=auth)
        assert status == 200, body
        states = {c["id"]: c["state"] for c in json.loads(body)}
        expected = {"consumer": "VN:COM:2002:CONSUMER", "provider": "VN:GOV:1001:PROVIDER"}
        assert states[expected[server["name"]]] == "registered"
        status, _, body = http(server["metrics_url"])
        assert status == 200, body
        assert b"# TYPE" in body
        status, _, body = http(server["health_url"])
        assert status == 200, body


def test_ctrl_c_stops_everything_and_a_restart_skips_onboarding(
    first: Run, info: dict[str, Any], data_dir: Path
) -> None:
    children = first.children()
    assert len(children) == 5, first.output()  # test CA, central server, demo, two servers
    assert first.interrupt() == 0, first.output()
    assert "sandbox stopped" in first.output()
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    consumer = info["security_servers"][0]
    assert port_is_free(consumer["server_port"])

    started = time.monotonic()
    second = start(data_dir)
    try:
        assert "restarted (onboarding already done)" in second.output()
        assert "approved on the central server" not in second.output()
        assert ready_seconds(second) < ready_seconds(first), second.output()
        assert time.monotonic() - started < BUDGET_SECONDS
        again = json.loads((data_dir / "sandbox.json").read_text())
        assert again["security_servers"] == info["security_servers"]
        assert json.loads(shell(again["examples"]["rest_curl"])) == {"message": HELLO}
    finally:
        assert second.interrupt() == 0, second.output()
