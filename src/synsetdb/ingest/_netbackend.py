"""The network layer under the downloader's httpx client: plain asyncio streams.

httpcore (httpx's transport) accepts any network backend. Its default goes
through AnyIO, whose per-read and per-write cancel scopes and attribute lookups
were a quarter of the downloader's CPU time; this backend does the same work on
asyncio's own streams and ``asyncio.timeout``.

It is also where non-public addresses are refused: with ``refuse_private`` the
host is resolved here, every address checked, and the connection made to the
checked address itself, so neither a DNS answer nor a redirect can reach
127.0.0.1, a LAN or a cloud metadata endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["AsyncioBackend", "RefusedAddress", "is_public"]

_STREAM_LIMIT = 1 << 18  # the StreamReader's buffer: a read returns at most this much


class RefusedAddress(Exception):
    """A connection to a non-public address (or a unix socket) was refused."""


def is_public(address: str) -> bool:
    """Whether an IP address is globally routable (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connects with asyncio streams; refuses non-public addresses when asked to."""

    def __init__(self, *, refuse_private: bool) -> None:
        self.refuse_private = refuse_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                address = await self._checked_address(host, port) if self.refuse_private else host
                reader, writer = await asyncio.open_connection(
                    address,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                    limit=_STREAM_LIMIT,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # socket.gaierror (DNS) included
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _AsyncioStream(reader, writer)

    async def _checked_address(self, host: str, port: int) -> str:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        refused = [a for a in addresses if not is_public(a)]
        if refused or not addresses:
            raise RefusedAddress(
                f"{host} resolves to non-public address {refused[0] if refused else '?'}"
            )
        return addresses[0]

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("unix sockets are not downloaded from")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection; maps timeouts and socket errors to httpcore's exceptions."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("read timed out") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("write timed out") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):  # the peer went first: closed all the same
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self  # the streams are upgraded in place

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # httpcore asks before reusing an idle connection
            return _readable(self._writer.get_extra_info("socket"))
        names = {"client_addr": "sockname", "server_addr": "peername"}
        return self._writer.get_extra_info(names.get(info, info))


def _readable(sock: Any) -> bool:
    """Whether an idle keep-alive socket has data or EOF waiting: the server closed it."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))
