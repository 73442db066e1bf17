"""Digest sources against a real local HTTP server and real folders."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from digestbot.digest.sources import FileSource, FolderSource, HttpSource, make_source
from digestbot.errors import ConfigError, SourceError, SourceUnavailable
from tests.conftest import DIGESTS
from tests.support.digest_server import DigestServer

DAY = dt.date(2024, 6, 12)
PATH = "paper_logs/2024/06/12.md"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DigestServer]:
    logs = tmp_path / "paper_logs" / "2024" / "06"
    logs.mkdir(parents=True)
    (logs / "12.md").write_bytes((DIGESTS / "2024/06/12.md").read_bytes())
    with DigestServer(tmp_path) as srv:
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=0.5) as c:
        yield c


def source(server: DigestServer, client: httpx.AsyncClient, retries: int = 2) -> HttpSource:
    template = server.url + "/paper_logs/{YYYY}/{MM}/{DD}.md"
    return HttpSource(template, client, retries=retries, backoff=0.01)


async def test_http_fetches_the_day_byte_for_byte(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    fetched = await source(server, client).fetch(DAY)
    assert fetched is not None
    assert fetched.content == (DIGESTS / "2024/06/12.md").read_bytes()
    assert fetched.location == f"{server.url}/{PATH}"


async def test_http_404_means_no_digest_that_day(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    assert await source(server, client).fetch(dt.date(2024, 6, 15)) is None
    assert server.requests["paper_logs/2024/06/15.md"] == 1  # not retried


async def test_http_5xx_is_retried_then_succeeds(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    server.fail(PATH, 503, times=2)
    fetched = await source(server, client, retries=2).fetch(DAY)
    assert fetched is not None
    assert server.requests[PATH] == 3


async def test_http_5xx_forever_is_reported_clearly(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    server.fail(PATH, 500, times=10)
    with pytest.raises(SourceUnavailable, match=r"HTTP 500 after 3 attempts"):
        await source(server, client, retries=2).fetch(DAY)
    assert server.requests[PATH] == 3


async def test_http_timeout_is_retried_then_reported(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    server.delay = 1.0  # the client gives up after 0.5 s
    with pytest.raises(SourceUnavailable, match="timed out after 2 attempts"):
        await source(server, client, retries=1).fetch(DAY)


async def test_http_other_4xx_is_an_error_not_a_missing_day(
    server: DigestServer, client: httpx.AsyncClient
) -> None:
    server.fail(PATH, 403)
    with pytest.raises(SourceError, match="HTTP 403"):
        await source(server, client, retries=0).fetch(DAY)


async def test_http_connection_refused_is_unavailable(client: httpx.AsyncClient) -> None:
    src = HttpSource("http://127.0.0.1:9/{date}.md", client, retries=1, backoff=0.01)
    with pytest.raises(SourceUnavailable, match="connection failed"):
        await src.fetch(DAY)


async def test_folder_source_reads_upstream_layout_with_or_without_paper_logs(
    tmp_path: Path,
) -> None:
    direct = FolderSource(DIGESTS)
    fetched = await direct.fetch(DAY)
    assert fetched is not None and fetched.content.startswith(b"## Daily Papers (2024-06-12)")
    assert await direct.fetch(dt.date(2024, 6, 13)) is None
    assert len(direct.days()) == 9
    assert direct.days()[0] == dt.date(2023, 11, 22)

    nested = tmp_path / "paper_logs" / "2025" / "05"
    nested.mkdir(parents=True)
    (nested / "09.md").write_bytes((DIGESTS / "2025/05/09.md").read_bytes())
    (nested / "notes.md").write_text("not a day")
    folder = FolderSource(tmp_path)
    assert folder.days() == [dt.date(2025, 5, 9)]
    assert await folder.fetch(dt.date(2025, 5, 9)) is not None


async def test_make_source_chooses_by_value(tmp_path: Path, client: httpx.AsyncClient) -> None:
    assert isinstance(make_source("https://h/{date}.md", client), HttpSource)
    assert isinstance(make_source(str(DIGESTS), client), FolderSource)
    assert isinstance(make_source(str(DIGESTS / "2024/06/12.md"), client), FileSource)
    with pytest.raises(ConfigError, match=r"DIGESTBOT_SOURCE.*fields"):
        make_source("https://h/latest.md", client)
    with pytest.raises(ConfigError, match=r"DIGESTBOT_SOURCE.*http"):
        make_source("ftp://h/{date}.md", client)
    with pytest.raises(ConfigError, match="no such folder"):
        make_source(str(tmp_path / "nope"), client)
