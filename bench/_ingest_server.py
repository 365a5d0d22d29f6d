"""A static file server on 127.0.0.1 for the ingest benchmark, and a load generator to time it.

Stdlib only (asyncio), run in a process of its own so it shares no interpreter
lock with what it serves:

    python bench/_ingest_server.py serve ROOT     # prints the port, serves until stdin closes
    python bench/_ingest_server.py load BASE LIST CONNECTIONS   # one JSON line: req/s, MB/s

``serve`` reads every file under ROOT into memory first, then answers
``GET /<relative path>`` with HTTP/1.1 (keep-alive unless the client asks to
close: img2dataset's urllib opens a connection per image, httpx reuses them).
``GET /__stats`` returns the requests and bytes served and the server's own CPU
seconds so far, which tells whether the server kept up during a run.

``load`` fetches every URL of a ``url,…`` CSV once over CONNECTIONS keep-alive
connections with a minimal asyncio client: the requests per second it reaches
is a lower bound on what the server can serve (the client's own cost counts).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

_STATUS = {200: b"OK", 404: b"Not Found", 400: b"Bad Request"}


class FileServer:
    """The files under a root, in memory, and counters of what was served."""

    def __init__(self, root: Path) -> None:
        self.files: dict[str, bytes] = {}
        for top, _, names in os.walk(root):
            for name in names:
                path = Path(top) / name
                self.files["/" + path.relative_to(root).as_posix()] = path.read_bytes()
        self.requests = 0
        self.bytes = 0

    def stats(self) -> bytes:
        cpu = time.process_time()
        return json.dumps({"requests": self.requests, "bytes": self.bytes, "cpu_s": cpu}).encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                keep_alive = self._respond(head, writer)
                await writer.drain()
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _respond(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            self._send(writer, 400, b"", False)
            return False
        version = parts[2]
        close = any(line.lower() == b"connection: close" for line in lines[1:])
        keep_alive = version == b"HTTP/1.1" and not close
        path = parts[1].decode("latin-1").split("?", 1)[0]
        if path == "/__stats":
            self._send(writer, 200, self.stats(), keep_alive, b"application/json")
            return keep_alive
        body = self.files.get(path)
        if body is None:
            self._send(writer, 404, b"", keep_alive)
            return keep_alive
        self.requests += 1
        self.bytes += len(body)
        self._send(writer, 200, body, keep_alive, b"image/jpeg")
        return keep_alive

    @staticmethod
    def _send(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        keep_alive: bool,
        content_type: bytes = b"text/plain",
    ) -> None:
        connection = b"keep-alive" if keep_alive else b"close"
        writer.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n"
            % (status, _STATUS[status], content_type, len(body), connection)
        )
        writer.write(body)


async def serve(root: Path) -> None:
    """Serve ``root`` on an ephemeral port; print it; stop when stdin reaches EOF."""
    files = FileServer(root)
    server = await asyncio.start_server(files.handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "files": len(files.files)}), flush=True)
    loop = asyncio.get_running_loop()
    async with server:
        await loop.run_in_executor(None, sys.stdin.read)  # the parent closes stdin to stop us


# ----------------------------------------------------------------------------- load


async def _fetch_all(host: str, port: int, paths: list[str], start: int, step: int) -> int:
    """Fetch ``paths[start::step]`` over one keep-alive connection; return bytes read."""
    reader, writer = await asyncio.open_connection(host, port)
    total = 0
    try:
        for path in paths[start::step]:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {head.splitlines()[0]!r}")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            total += len(await reader.readexactly(length))
    finally:
        writer.close()
    return total


async def load(base: str, url_list: Path, connections: int) -> dict[str, float]:
    """Fetch every URL of the list once; the rate the server sustained."""
    with url_list.open(newline="", encoding="utf-8") as f:
        urls = [row["url"] for row in csv.DictReader(f)]
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    paths = [urlsplit(u).path for u in urls]
    started = time.perf_counter()
    sizes = await asyncio.gather(
        *(_fetch_all(host, port, paths, i, connections) for i in range(connections))
    )
    elapsed = time.perf_counter() - started
    return {
        "requests": len(paths),
        "connections": connections,
        "elapsed_s": elapsed,
        "requests_per_s": len(paths) / elapsed,
        "mb_per_s": sum(sizes) / elapsed / 1e6,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        asyncio.run(serve(Path(argv[1])))
        return 0
    if argv[:1] == ["load"] and len(argv) == 4:
        print(json.dumps(asyncio.run(load(argv[1], Path(argv[2]), int(argv[3])))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
