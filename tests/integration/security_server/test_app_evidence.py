"""The composition root runs the message log and operational monitoring: named tasks while the
admin app runs, ``/health`` reporting time-stamping, metrics on ``/metrics``, ``/asic`` and
``/verificationconf`` on the client proxy. Against a real central server whose configuration
approves no TSA yet: nothing can be time-stamped, so traffic is refused and /health says why."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import aiohttp

from security_server.app import build
from security_server.app_messagelog import TIMESTAMPER_TASK
from security_server.messagelog.archive_task import TASK_NAME as ARCHIVER_TASK
from security_server.opmonitor.buffer import CLEAN_TASK, FLUSH_TASK
from security_server.settings import SecurityServerSettings
from tests.integration.security_server.test_onboarding_support import central_server, until
from vdx.cli._serve import listening


async def _get(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_message_log_and_op_monitoring_run_with_the_server(tmp_path: Path) -> None:
    async with central_server(tmp_path) as central:
        anchor = tmp_path / "anchor.xml"
        anchor.write_bytes(central.anchor)
        settings = SecurityServerSettings(
            data_dir=tmp_path / "ss",
            anchor_file=anchor,
            client_proxy_port=0,
            client_proxy_tls_port=0,
            server_proxy_port=0,
            ocsp_port=0,
            admin_api_port=0,
            conf_download_interval_seconds=1,
        )
        server = await build(settings)
        assert settings.messagelog.archive_dir == tmp_path / "ss" / "messagelog"
        assert server.messagelog is not None
        async with listening(server.apps, "127.0.0.1") as ports:
            names = {task.get_name() for task in asyncio.all_tasks()}
            assert {TIMESTAMPER_TASK, ARCHIVER_TASK, FLUSH_TASK, CLEAN_TASK} <= names

            async def downloaded() -> bool:
                return server.conf_client.current is not None

            await until("the global configuration", downloaded)
            node = server.messagelog
            conf = server.conf_client.current
            assert conf is not None
            assert conf.private is not None
            # The configuration's interval rules the rounds (private parameters).
            assert node.interval_seconds() == conf.private.time_stamping_interval_seconds
            result = await node.round()
            assert result is not None
            assert result.error == "TimestampingFailed: no approved TSA is configured"
            admin = f"http://127.0.0.1:{ports['admin']}"
            status, body = await _get(f"{admin}/health")
            assert status == 500
            assert b'"messagelog": {"ok": false, "reason": "timestamping failing for' in body
            assert b"traffic refused: TimestampingFailed" in body
            status, body = await _get(f"{admin}/metrics")
            assert status == 200
            for name in (
                b"vdx_ss_messagelog_unstamped_records",
                b"vdx_ss_messagelog_archive_lag_seconds",
                b"vdx_ss_opmonitor_buffered_records",
            ):
                assert name in body
            for listener in ("client-proxy", "client-proxy-tls"):
                assert ports[listener] > 0
            client = f"http://127.0.0.1:{ports['client-proxy']}"
            status, body = await _get(f"{client}/verificationconf")
            assert status == 200
            names_in_zip = zipfile.ZipFile(io.BytesIO(body)).namelist()
            assert "verificationconf/instance-identifier" in names_in_zip
            query = "xRoadInstance=VN&memberClass=GOV&memberCode=none&queryId=q"
            status, body = await _get(f"{client}/asic?{query}")
            assert (status, body) == (401, b"Client 'MEMBER:VN/GOV/none' not found")
        await server.engine.dispose()
