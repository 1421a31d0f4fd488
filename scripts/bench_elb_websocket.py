#!/usr/bin/env python3
"""What WebSocket connections held through an application load balancer
cost Gureum: N concurrent connections (default 1,000) opened through one
ALB listener to an echo server, each sending a message every second for
the hold time (default 12 s), with Gureum's resident memory (VmRSS) and
open file descriptors read from /proc before, while held, and after
closing.

  python3 scripts/bench_elb_websocket.py [--gureum PATH] [--connections N] [--hold S]

The echo server (python `websockets`) runs in its own process, so the
growth measured is the load balancer's: two sockets and one splice task
per connection. Raises the open-file limit to the hard limit first:
Gureum needs two descriptors per connection.
"""
import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, release_binary, rss_mb  # noqa: E402
from bench_elb import alb_in_front_of  # noqa: E402


def echo_server(sock):
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    def plain(connection, request):
        # Health checks are plain GETs: answer them without upgrading.
        if "upgrade" not in request.headers.get("Connection", "").lower():
            return connection.respond(200, "ok\n")
        return None

    async def main():
        async with serve(echo, sock=sock, process_request=plain, max_queue=4) as server:
            await server.serve_forever()

    asyncio.run(main())


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


async def hold(port, n, seconds, pid, samples):
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws"
    opened = []
    for start in range(0, n, 100):  # in batches, not one SYN flood
        opened += await asyncio.gather(*(connect(url, open_timeout=30, ping_interval=None)
                                         for _ in range(start, min(n, start + 100))))
    samples["opened"] = (rss_mb(pid), fds(pid))
    echoed = 0
    failed = 0

    async def chat(ws, i):
        nonlocal echoed, failed
        deadline = time.monotonic() + seconds
        await asyncio.sleep(i % 100 / 100)  # spread over each second
        while time.monotonic() < deadline:
            try:
                await ws.send(f"hello {i}")
                if await asyncio.wait_for(ws.recv(), 10) == f"hello {i}":
                    echoed += 1
            except Exception:
                failed += 1
                return
            await asyncio.sleep(1)

    t0 = time.monotonic()
    await asyncio.gather(*(chat(ws, i) for i, ws in enumerate(opened)))
    held = time.monotonic() - t0
    samples["held"] = (rss_mb(pid), fds(pid))
    await asyncio.gather(*(ws.close() for ws in opened))
    return echoed, failed, held


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=12.0)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = 2 * args.connections + 200
    assert hard >= need, f"open-file limit {hard} < {need}: raise `ulimit -Hn`"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    target_port = sock.getsockname()[1]
    echo = mp.Process(target=echo_server, args=(sock,), daemon=True)
    echo.start()
    with tempfile.TemporaryDirectory() as data:
        server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data,
                                             "--log-level", "warn"])
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{server.port}"
            alb_port = alb_in_front_of(endpoint, target_port, {"idle_timeout.timeout_seconds": "60"})
            pid = server.proc.pid
            time.sleep(1.5)  # the idle timeout reaches the listener on its next sync
            samples = {"before": (rss_mb(pid), fds(pid))}
            echoed, failed, held = asyncio.run(hold(alb_port, args.connections, args.hold, pid, samples))
            time.sleep(1)
            samples["closed"] = (rss_mb(pid), fds(pid))
            n = args.connections
            (r0, f0), (r1, f1), (r2, f2), (r3, f3) = (samples[k] for k in ("before", "opened", "held", "closed"))
            print(f"{n} WebSocket connections held {held:.1f} s through one ALB listener; "
                  f"{echoed:,} messages echoed, {failed} connections failed; "
                  f"load average {os.getloadavg()[0]:.2f}")
            print("| moment | Gureum RSS | open fds |")
            print("|---|---|---|")
            for name, (r, f) in [("before", (r0, f0)), (f"{n} opened", (r1, f1)),
                                 (f"after {held:.0f} s of messages", (r2, f2)), ("all closed", (r3, f3))]:
                print(f"| {name} | {r:.1f} MiB | {f} |")
            print(f"| **per connection, held** | {(r2 - r0) * 1024 / n:.1f} KiB | {(f2 - f0) / n:.2f} |")
        finally:
            server.stop()
            echo.terminate()


if __name__ == "__main__":
    main()
