"""Archiving against a real store (SQLite, migrated): the chain across archives, rotation,
grouping, the state file, the transfer command, the cleaner and the lag gauge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from security_server.messagelog.archive import (
    ChainLink,
    ChainState,
    Grouping,
    archive_file_name,
    group_name,
)
from security_server.messagelog.archive_task import STATE_FILE, MessageLogArchiver
from security_server.messagelog.model import LogEntry
from security_server.messagelog.settings import MessageLogSettings
from security_server.messagelog.store import MessageLogStore
from security_server.storage.migrate import open_engine
from tests.unit.security_server.messagelog_archive_support import (
    CLIENT,
    OTHER_CLIENT,
    SERVICE,
    SIGNED,
    STAMPED,
    signed_entry,
    stamp,
    verify_fully,
)
from vdx.crypto.archive import ArchiveVerdict, parse_linking_info, verify_archive
from vdx.crypto.asic_verify import verify_container
from vdx.crypto.asic_zip import read_zip
from vdx.errors import XRoadError
from vdx.identifiers.model import ClientId


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[MessageLogStore]:
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path / 'ss.db'}")
    try:
        yield MessageLogStore(engine)
    finally:
        await engine.dispose()


async def log_and_stamp(store: MessageLogStore, entries: Sequence[LogEntry]) -> list[int]:
    """Write ``entries`` and time-stamp them as one batch, as writer and timestamper do."""
    ids = await store.write(entries)
    stamped = stamp(entries)
    proofs = {i: record.timestamp_hash_chain for i, (record, _) in zip(ids, stamped, strict=True)}
    ts = stamped[0][1]
    await store.save_timestamp(ts.token, ts.hash_chain_result, proofs, STAMPED)
    return ids


def archiver(store: MessageLogStore, folder: Path, **options: object) -> MessageLogArchiver:
    return MessageLogArchiver(store, archive_dir=folder, **options)  # type: ignore[arg-type]


def verify_chain(paths: Sequence[Path], *, full: bool = True) -> list[ArchiveVerdict]:
    """Verify consecutive archives of one group, each against the previous one's digest."""
    verdicts: list[ArchiveVerdict] = []
    previous, previous_file = "-", ""
    for path in paths:
        data = path.read_bytes()
        verdict = verify_archive(
            data,
            previous_digest=previous,
            check_container=verify_fully if full else verify_container,
        )
        linking = parse_linking_info(read_zip(data).members[-1].data)
        assert linking.previous_file == previous_file
        verdicts.append(verdict)
        previous, previous_file = verdict.last_digest, path.name
    return verdicts


async def test_consecutive_archives_form_one_verified_chain(
    store: MessageLogStore, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    task = archiver(store, folder)
    await log_and_stamp(store, [signed_entry("q-1"), signed_entry("q-1", response=True)])
    first = await task.archive_once()
    await log_and_stamp(store, [signed_entry("q-2", body=b"rest body")])
    await log_and_stamp(store, [signed_entry("q-3"), signed_entry("q-4"), signed_entry("q-5")])
    second = await task.archive_once()
    assert len(first) == 1
    assert len(second) == 1  # both batches of the round in one file
    verdicts = verify_chain([*first, *second])
    assert verdicts[0].containers == ("q-1-request-1.asice", "q-1-response-2.asice")
    assert len(verdicts[1].containers) == 4
    # the name: mlog-<first>-<last>-<16 hex of the last digest>.zip
    stamp_text = SIGNED.strftime("%Y%m%d%H%M%S")
    assert second[0].name == f"mlog-{stamp_text}-{stamp_text}-{verdicts[1].last_digest[:16]}.zip"
    assert await store.stamped_unarchived(10) == []
    assert await task.archive_once() == []  # nothing left: no empty archive
    # a wrong previous digest breaks the link
    with pytest.raises(XRoadError):
        verify_archive(second[0].read_bytes(), previous_digest="-")


async def test_the_chain_continues_across_restarts_from_the_state_file(
    store: MessageLogStore, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    await log_and_stamp(store, [signed_entry("q-1")])
    first = await archiver(store, folder).archive_once()
    state = ChainState.decode((folder / STATE_FILE).read_bytes())
    assert state.link(None).file == first[0].name
    await log_and_stamp(store, [signed_entry("q-2")])
    second = await archiver(store, folder).archive_once()  # a new process, same folder
    verify_chain([*first, *second])


async def test_rotation_closes_an_archive_once_it_exceeds_the_size(
    store: MessageLogStore, tmp_path: Path
) -> None:
    await log_and_stamp(store, [signed_entry(f"q-{n}") for n in range(5)])
    written = await archiver(store, tmp_path, max_bytes=12_000).archive_once()
    assert len(written) >= 2
    verdicts = verify_chain(sorted(written, key=lambda p: p.stat().st_mtime_ns), full=False)
    assert sum(len(v.containers) for v in verdicts) == 5
    for path in written[:-1]:
        sizes = [len(m.data) for m in read_zip(path.read_bytes()).members[:-1]]
        assert sum(sizes) > 12_000 >= sum(sizes[:-1])  # over by its last container only


@pytest.mark.parametrize(
    ("grouping", "groups"),
    [
        (Grouping.MEMBER, {"VN_GOV_0102030405", "VN_COM_9999"}),
        (Grouping.SUBSYSTEM, {"VN_GOV_0102030405_CONSUMER", "VN_COM_9999_APP"}),
    ],
)
async def test_grouping_gives_each_group_its_own_files_and_chain(
    store: MessageLogStore, tmp_path: Path, grouping: Grouping, groups: set[str]
) -> None:
    task = archiver(store, tmp_path, grouping=grouping)
    entries = [signed_entry("g-1"), signed_entry("g-2", client=OTHER_CLIENT), signed_entry("g-3")]
    await log_and_stamp(store, entries)
    first = await task.archive_once()
    await log_and_stamp(store, [signed_entry("g-4", client=OTHER_CLIENT)])
    second = await task.archive_once()
    assert {p.name.split("-")[1] for p in first} == groups
    other = sorted(p for p in [*first, *second] if "_9999" in p.name)
    assert len(other) == 2
    verify_chain(sorted(other, key=lambda p: p in second))  # its own chain, first from "-"
    own = [p for p in first if "0102030405" in p.name]
    assert verify_chain(own)[0].containers == ("g-1-request-1.asice", "g-3-request-3.asice")


async def test_grouping_files_each_side_under_its_owner(
    store: MessageLogStore, tmp_path: Path
) -> None:
    # One message logged by both sides: the client side's record belongs to the client, the
    # server side's to the service provider (LogManager.createMessageRecord), and each is
    # archived in its owner's group although both name the same client.
    provider = SERVICE.provider
    sent = signed_entry("s-1")
    received = signed_entry("s-1", owner=provider)
    await log_and_stamp(store, [sent, received])
    written = await archiver(store, tmp_path, grouping=Grouping.SUBSYSTEM).archive_once()
    groups = {p.name.split("-")[1]: p for p in written}
    assert set(groups) == {"VN_GOV_0102030405_CONSUMER", "VN_GOV_0102030405_PROVIDER"}
    client_side = verify_chain([groups["VN_GOV_0102030405_CONSUMER"]])[0]
    provider_side = verify_chain([groups["VN_GOV_0102030405_PROVIDER"]])[0]
    assert client_side.containers == ("s-1-request-1.asice",)  # record ids 1 and 2
    assert provider_side.containers == ("s-1-request-2.asice",)
    assert group_name(received.owner, Grouping.SUBSYSTEM) == "VN/GOV/0102030405/PROVIDER"


def test_group_names_and_file_names_are_the_references() -> None:
    member = ClientId("VN", "GOV", "123")
    assert group_name(CLIENT, Grouping.NONE) is None
    assert group_name(CLIENT, Grouping.MEMBER) == "VN/GOV/0102030405"
    assert group_name(CLIENT, Grouping.SUBSYSTEM) == "VN/GOV/0102030405/CONSUMER"
    assert group_name(member, Grouping.SUBSYSTEM) == "VN/GOV/123"
    moment = datetime(2021, 9, 1, 10, 8, 58, tzinfo=SIGNED.tzinfo)
    name = archive_file_name(
        "VN/GOV/1:2", moment, moment + timedelta(seconds=7), "95b1f27097524105ab"
    )
    assert name == "mlog-VN_GOV_1_2-20210901100858-20210901100905-95b1f27097524105.zip"


async def test_a_flipped_byte_anywhere_in_an_archive_is_detected(
    store: MessageLogStore, tmp_path: Path
) -> None:
    await log_and_stamp(store, [signed_entry("f-1"), signed_entry("f-2", body=b"x")])
    (path,) = await archiver(store, tmp_path).archive_once()
    data = path.read_bytes()
    verify_archive(data, previous_digest="-", check_container=verify_fully)
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        with pytest.raises(XRoadError):
            verify_archive(bytes(changed), previous_digest="-", check_container=verify_container)


async def test_transfer_command_runs_after_each_archive_and_its_failure_is_not_fatal(
    store: MessageLogStore, tmp_path: Path
) -> None:
    folder, outbox = tmp_path / "archive", tmp_path / "outbox"
    outbox.mkdir()
    task = archiver(store, folder, transfer_command=f"mv mlog-*.zip {outbox}/")
    await log_and_stamp(store, [signed_entry("t-1")])
    (written,) = await task.archive_once()
    assert (outbox / written.name).is_file()
    assert not written.exists()
    assert (folder / STATE_FILE).is_file()  # the state stays with the archiver
    failing = archiver(store, folder, transfer_command="echo broken >&2; exit 3")
    await log_and_stamp(store, [signed_entry("t-2")])
    (kept,) = await failing.archive_once()
    assert kept.is_file()
    assert await store.stamped_unarchived(10) == []


async def test_cleaner_removes_only_archived_records_past_the_retention(
    store: MessageLogStore, tmp_path: Path
) -> None:
    old = [signed_entry("c-1"), signed_entry("c-2")]
    await log_and_stamp(store, old)
    task = archiver(store, tmp_path, keep_records_seconds=86_400)
    await task.archive_once()
    unarchived_ids = await log_and_stamp(store, [signed_entry("c-3")])
    assert await task.clean_once(SIGNED + timedelta(hours=23)) == 0  # within the retention
    assert await task.clean_once(SIGNED + timedelta(days=2)) == 2
    assert await store.find("c-1", CLIENT) == []
    remaining = await store.find("c-3", CLIENT)
    assert [r.id for r, _ in remaining] == unarchived_ids  # not archived yet: kept


async def test_lag_gauge_reports_the_oldest_stamped_unarchived_record(
    store: MessageLogStore, tmp_path: Path
) -> None:
    registry = CollectorRegistry()
    task = archiver(store, tmp_path, clock=lambda: SIGNED + timedelta(seconds=90))
    task.register_metrics(registry)
    name = "vdx_ss_messagelog_archive_lag_seconds"
    assert registry.get_sample_value(name) == 0.0
    await log_and_stamp(store, [signed_entry("l-1")])
    await task.refresh_lag()
    assert registry.get_sample_value(name) == 90.0
    await task.archive_once()
    assert registry.get_sample_value(name) == 0.0


async def test_background_task_archives_and_stops(store: MessageLogStore, tmp_path: Path) -> None:
    await log_and_stamp(store, [signed_entry("b-1")])
    task = archiver(store, tmp_path, interval_seconds=3600)
    await task.start()
    for _ in range(200):
        if list(tmp_path.glob("mlog-*.zip")):  # noqa: ASYNC240 - a test's own temp folder
            break
        await asyncio.sleep(0.05)
    await task.stop()
    assert len(list(tmp_path.glob("mlog-*.zip"))) == 1  # noqa: ASYNC240 - test's temp folder


async def test_settings_configure_the_archiver(store: MessageLogStore, tmp_path: Path) -> None:
    settings = MessageLogSettings(
        archive_dir=tmp_path / "from-settings",
        archive_grouping="subsystem",
        archive_max_bytes=1,
        archive_transfer_command="touch transferred",
    )
    await log_and_stamp(store, [signed_entry("s-1"), signed_entry("s-2")])
    written = await MessageLogArchiver.from_settings(store, settings).archive_once()
    assert len(written) == 2  # rotated after each container (1 byte maximum)
    assert all(p.name.startswith("mlog-VN_GOV_0102030405_CONSUMER-") for p in written)
    assert (tmp_path / "from-settings" / "transferred").is_file()


@given(st.binary(max_size=300) | st.builds(lambda t: t.encode(), st.text(max_size=200)))
def test_an_unreadable_state_file_is_refused_not_misread(data: bytes) -> None:
    try:
        state = ChainState.decode(data)
    except ValueError:
        return
    assert ChainState.decode(state.encode()) == state


def test_state_round_trips() -> None:
    state = ChainState().advanced(None, ChainLink("ab" * 64, "mlog-a.zip"))
    state = state.advanced("VN/GOV/1", ChainLink("cd" * 64, "mlog-VN_GOV_1-b.zip"))
    assert ChainState.decode(state.encode()) == state
    assert state.link("VN/GOV/2") == ChainLink()
    with pytest.raises(ValueError, match="format"):
        ChainState.decode(b'{"format": 2, "groups": {}}')
