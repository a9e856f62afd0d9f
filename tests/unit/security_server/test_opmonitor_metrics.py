"""Exchange and buffer metrics: the exposition follows the Prometheus naming conventions."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from security_server.opmonitor.metrics import OpMonitorMetrics, Stage
from security_server.opmonitor.model import SecurityServerType
from tests.unit.security_server import test_opmonitor_support as sup
from tests.vectors import UNDER_CI

# A metric name (Prometheus data model, lower snake case) in our namespace.
_NAME = re.compile(r"vdx_ss_[a-z0-9_]*[a-z0-9]")
_SERIES = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? \S+$")


def _populated() -> CollectorRegistry:
    registry = CollectorRegistry()
    metrics = OpMonitorMetrics.create(registry)
    metrics.observe_exchange(sup.record())
    metrics.observe_exchange(
        sup.record(security_server_type=SecurityServerType.CLIENT, succeeded=False)
    )
    for stage in Stage:
        metrics.observe_stage(SecurityServerType.CLIENT, stage, 0.003)
    metrics.observe_stage(SecurityServerType.PRODUCER, Stage.PROVIDER, -1.0)
    metrics.buffered.set(0)
    return registry


def test_names_follow_the_conventions() -> None:
    exposition = generate_latest(_populated()).decode()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE))
    assert types["vdx_ss_exchanges_total"] == "counter"
    assert types["vdx_ss_exchange_duration_seconds"] == "histogram"
    assert types["vdx_ss_opmonitor_buffered_records"] == "gauge"
    for family, kind in types.items():
        assert _NAME.fullmatch(family), family
        # Counters end in _total and nothing else does; histograms here are durations.
        assert family.endswith("_total") is (kind == "counter"), family
        if kind == "histogram":
            assert family.endswith("_seconds"), family
    suffixes = {"counter": ("",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        match = _SERIES.match(line)
        assert match, line
        name = match["name"]
        assert any(
            name in {family + suffix for suffix in suffixes[kind]} for family, kind in types.items()
        ), name


def test_exchanges_are_counted_by_side_and_outcome() -> None:
    registry = _populated()
    client = {
        "client": sup.CONSUMER.to_colon(),
        "service": sup.SERVICE.to_colon(),
        "side": "client",
        "outcome": "failed",
    }
    assert registry.get_sample_value("vdx_ss_exchanges_total", client) == 1
    producer = {**client, "side": "producer", "outcome": "succeeded"}
    assert registry.get_sample_value("vdx_ss_exchanges_total", producer) == 1
    stage = {"side": "producer", "stage": "provider"}
    assert registry.get_sample_value("vdx_ss_exchange_duration_seconds_sum", stage) == 0.0
    assert registry.get_sample_value("vdx_ss_exchange_duration_seconds_count", stage) == 1


def test_promtool_accepts_the_exposition() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        # .ci/run installs it; a missing tool must not pass unnoticed there.
        if UNDER_CI:
            pytest.fail("promtool is not installed (Debian package 'prometheus')")
        pytest.skip("promtool is not installed (Debian package 'prometheus'); names checked above")
    exposition = generate_latest(_populated())
    checked = subprocess.run(  # noqa: S603 - a fixed local tool, our own bytes on stdin
        [promtool, "check", "metrics"], input=exposition, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
