"""Downloading candidate images: async (httpx), polite, bounded, and safe by default.

* A global and a per-host concurrency limit; connect and read timeouts.
* Retries with exponential backoff (and ``Retry-After``) on 429, 5xx, timeouts
  and dropped connections.
* A byte cap enforced while streaming; the bytes, not the Content-Type header,
  decide whether the body is an image.
* ``X-Robots-Tag: noai`` / ``noimageai`` is respected unless switched off.
* Private, loopback, link-local and other non-public addresses are refused
  after DNS resolution, on every connection, redirects included (a DNS answer
  cannot smuggle a request to 127.0.0.1); ``allow_private`` turns that off,
  which tests against a local server need.

Every URL ends as a ``Download`` with either bytes or an error code
(``E_HTTP_404``, ``E_TIMEOUT``, ``E_PRIVATE_ADDRESS``, ``E_ROBOTS``, …).
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from .._version import __version__
from ..errors import ConfigError
from ._netbackend import AsyncioBackend, RefusedAddress

__all__ = ["Download", "DownloadConfig", "download", "sniff_image"]

_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)


@dataclass(frozen=True, slots=True)
class DownloadConfig:
    """How to download."""

    concurrency: int = 32
    per_host: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_bytes: int = 25_000_000
    max_redirects: int = 5
    allow_private: bool = False
    respect_robots_tag: bool = True
    user_agent: str = f"synsetdb/{__version__} (dataset builder)"

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1 or self.max_bytes < 1 or self.retries < 0:
            raise ConfigError("download limits must be positive", code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class Download:
    """The outcome for one URL: ``data`` on success, else ``code`` and ``detail``."""

    url: str
    data: bytes | None = None
    code: str | None = None
    detail: str = ""
    status: int | None = None
    final_url: str | None = None
    content_type: str | None = None


def sniff_image(data: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)


def _transport(config: DownloadConfig) -> httpx.AsyncHTTPTransport:
    limits = httpx.Limits(
        max_connections=config.concurrency, max_keepalive_connections=config.concurrency
    )
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no public hook for the network backend (name resolution included);
    # its transport keeps the httpcore pool in ``_pool``. tests/ingest/test_download.py
    # fails loudly if a loopback request ever gets through.
    transport._pool = httpcore.AsyncConnectionPool(
        max_connections=config.concurrency,
        max_keepalive_connections=config.concurrency,
        network_backend=AsyncioBackend(refuse_private=not config.allow_private),
    )
    return transport


class _Fetcher:
    """One download session: the client, the limits and the per-URL state machine."""

    def __init__(self, config: DownloadConfig) -> None:
        self.config = config
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        self.client = httpx.AsyncClient(
            transport=_transport(config),
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": config.user_agent, "Accept": "image/*,*/*;q=0.5"},
        )
        self.slots = asyncio.Semaphore(config.concurrency)
        self.hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.per_host)
        )

    async def fetch(self, url: str) -> Download:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Download(url, code="E_URL", detail="not an http(s) URL")
        async with self.slots, self.hosts[parts.hostname.lower()]:
            for attempt in range(self.config.retries + 1):
                result, retry_after = await self._attempt(url)
                if retry_after is None or attempt == self.config.retries:
                    return result
                delay = max(retry_after, self.config.backoff * 2**attempt)
                await asyncio.sleep(min(delay, 60.0) * random.uniform(0.8, 1.2))
        raise AssertionError("unreachable")

    async def _attempt(self, url: str) -> tuple[Download, float | None]:
        """One try, following redirects; the float says 'retry after this long'."""
        current = url
        try:
            for _ in range(self.config.max_redirects + 1):
                async with self.client.stream("GET", current) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    return await self._read(url, response)
            return Download(url, code="E_REDIRECTS", detail="too many redirects"), None
        except RefusedAddress as exc:
            return Download(url, code="E_PRIVATE_ADDRESS", detail=str(exc)), None
        except httpx.TimeoutException as exc:
            return Download(url, code="E_TIMEOUT", detail=type(exc).__name__), 0.0
        except httpx.InvalidURL as exc:
            return Download(url, code="E_URL", detail=str(exc)), None
        except (httpx.TransportError, OSError) as exc:
            refused = isinstance(exc.__context__, RefusedAddress) or isinstance(
                exc.__cause__, RefusedAddress
            )
            if refused:
                return Download(url, code="E_PRIVATE_ADDRESS", detail=str(exc.__context__)), None
            if isinstance(exc, httpx.ConnectError) and "name" in str(exc).lower():
                return Download(url, code="E_DNS", detail=str(exc)), None
            return Download(url, code="E_CONNECT", detail=str(exc) or type(exc).__name__), 0.0

    async def _read(self, url: str, response: httpx.Response) -> tuple[Download, float | None]:
        status, final = response.status_code, str(response.url)
        if status != 200:
            retry = _retry_after(response) if status in _RETRY_STATUSES else None
            return Download(url, code=f"E_HTTP_{status}", status=status, final_url=final), retry
        robots = response.headers.get("x-robots-tag", "").lower()
        if self.config.respect_robots_tag and ("noai" in robots or "noimageai" in robots):
            return Download(
                url, code="E_ROBOTS", detail=robots, status=status, final_url=final
            ), None
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self.config.max_bytes:
                return Download(
                    url, code="E_TOO_LARGE", detail=f"> {self.config.max_bytes} bytes"
                ), None
        data = bytes(body)
        content_type = response.headers.get("content-type")
        if sniff_image(data) is None:
            return Download(
                url,
                code="E_NOT_IMAGE",
                detail=f"body is not an image ({content_type})",
                status=status,
                final_url=final,
                content_type=content_type,
            ), None
        return Download(url, data, status=status, final_url=final, content_type=content_type), None


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else 0.0


async def _download_all(urls: Iterable[str], config: DownloadConfig, out: queue.Queue[Any]) -> None:
    fetcher = _Fetcher(config)
    pending: set[asyncio.Task[Download]] = set()
    try:
        async with fetcher.client:
            for url in urls:
                pending.add(asyncio.create_task(fetcher.fetch(url)))
                if len(pending) >= 2 * config.concurrency:  # bounded: never every URL at once
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        await _hand_over(out, task.result())
            for next_done in asyncio.as_completed(pending):
                await _hand_over(out, await next_done)
    finally:
        out.put(_DONE)


async def _hand_over(out: queue.Queue[Any], result: Download) -> None:
    """Queue a result for the consumer; only a full queue costs a thread hop (never the loop)."""
    try:
        out.put_nowait(result)
    except queue.Full:
        await asyncio.to_thread(out.put, result)


_DONE = object()


def download(urls: Iterable[str], config: DownloadConfig | None = None) -> Iterator[Download]:
    """Download every URL, yielding results as they complete (not in input order).

    Runs an event loop in a background thread, so it can feed the synchronous
    ingest pipeline; the queue between them is bounded, so memory stays bounded
    however long the URL list is.
    """
    config = config or DownloadConfig()
    out: queue.Queue[Any] = queue.Queue(maxsize=2 * config.concurrency)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_download_all(urls, config, out))
        except BaseException as exc:  # surfaced in the caller's thread below
            errors.append(exc)
            out.put(_DONE)

    thread = threading.Thread(target=run, name="synsetdb-download", daemon=True)
    thread.start()
    while (item := out.get()) is not _DONE:
        yield item
    thread.join()
    if errors:
        raise errors[0]
