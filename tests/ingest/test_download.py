"""The downloader against a local HTTP server: every outcome gets its code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from synsetdb.errors import ConfigError
from synsetdb.ingest._netbackend import is_public
from synsetdb.ingest.download import Download, DownloadConfig, download, sniff_image
from tests.fixtures.http_server import LocalServer, serving
from tests.fixtures.photos import encode, photo

LOCAL = DownloadConfig(allow_private=True, retries=2, backoff=0.05, read_timeout=5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as running:
        jpeg = encode(photo("chelsea", (120, 90)), "JPEG")
        png = encode(photo("coffee", (120, 90)), "PNG")
        files = running.routes.files
        files["/cat.jpg"] = (jpeg, "image/jpeg")
        files["/png-named.jpg"] = (png, "image/jpeg")
        files["/typed-wrong.jpg"] = (jpeg, "text/plain")
        files["/page.html"] = (b"<!doctype html><p>not here</p>", "text/html")
        files["/noai/cat.jpg"] = (jpeg, "image/jpeg")
        files["/big.jpg"] = (jpeg + b"\0" * 200_000, "image/jpeg")
        yield running


def fetch(urls: list[str], config: DownloadConfig = LOCAL) -> dict[str, Download]:
    return {d.url: d for d in download(urls, config)}


def test_images_download_and_the_bytes_decide_the_type(server: LocalServer) -> None:
    urls = [server.url(p) for p in ("/cat.jpg", "/png-named.jpg", "/typed-wrong.jpg")]
    results = fetch(urls)
    assert all(r.code is None and r.data for r in results.values())
    assert sniff_image(results[urls[1]].data or b"") == "PNG"
    assert results[urls[2]].content_type == "text/plain"


def test_every_failure_has_a_code(server: LocalServer) -> None:
    config = DownloadConfig(allow_private=True, retries=0, read_timeout=0.5, max_bytes=100_000)
    cases = {
        "/missing.jpg": "E_HTTP_404",
        "/page.html": "E_NOT_IMAGE",
        "/noai/cat.jpg": "E_ROBOTS",
        "/big.jpg": "E_TOO_LARGE",
        "/slow/2/cat.jpg": "E_TIMEOUT",
        "/loop": "E_REDIRECTS",
    }
    results = fetch([server.url(p) for p in cases], config)
    assert {p: results[server.url(p)].code for p in cases} == cases
    bad = fetch(["ftp://example.invalid/x.jpg", "not a url"], config)
    assert {d.code for d in bad.values()} == {"E_URL"}


def test_robots_tag_can_be_ignored_on_request(server: LocalServer) -> None:
    config = DownloadConfig(allow_private=True, respect_robots_tag=False)
    assert fetch([server.url("/noai/cat.jpg")], config)[server.url("/noai/cat.jpg")].data


def test_retries_on_503_and_429_then_succeeds(server: LocalServer) -> None:
    urls = [server.url("/flaky/cat.jpg"), server.url("/throttled/cat.jpg")]
    results = fetch(urls)
    assert all(r.data for r in results.values())
    assert server.routes.hits["/flaky/cat.jpg"] == 3
    assert server.routes.hits["/throttled/cat.jpg"] == 2


def test_gives_up_after_the_retry_budget(server: LocalServer) -> None:
    config = DownloadConfig(allow_private=True, retries=1, backoff=0.01)
    result = fetch([server.url("/flaky/cat.jpg")], config)[server.url("/flaky/cat.jpg")]
    assert result.code == "E_HTTP_503" and server.routes.hits["/flaky/cat.jpg"] == 2


def test_redirects_are_followed(server: LocalServer) -> None:
    url = server.url("/redirect/cat.jpg")
    result = fetch([url])[url]
    assert result.data and result.final_url == server.url("/cat.jpg")


def test_per_host_limit_holds(server: LocalServer) -> None:
    urls = [server.url(f"/slow/0.2/cat.jpg?{i}") for i in range(8)]
    server.routes.files.update({f"/cat.jpg?{i}": server.routes.files["/cat.jpg"] for i in range(8)})
    results = fetch(urls, DownloadConfig(allow_private=True, per_host=2, concurrency=8))
    assert all(r.data for r in results.values())
    assert server.routes.max_active <= 2


def test_loopback_is_refused_by_default(server: LocalServer) -> None:
    urls = [server.url("/cat.jpg"), server.url("/cat.jpg").replace("127.0.0.1", "localhost")]
    results = fetch(urls, DownloadConfig(retries=0))
    assert {r.code for r in results.values()} == {"E_PRIVATE_ADDRESS"}
    assert server.routes.hits["/cat.jpg"] == 0  # never connected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_address_classification(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ConfigError):
        DownloadConfig(concurrency=0)
