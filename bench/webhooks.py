"""Create throughput with a webhook endpoint configured vs none, and every create's event delivered."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from protocol_kit.server.runner import free_port
from tests.support.paths import REPO
from tests.support.serving import ServeProcess, stopping

from . import report
from .server import CONTACT, LUA, TOKEN, Contender

CONCURRENCY = (1, 16)
_REQUESTS = re.compile(r"^\s+(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)


async def _serve_receiver(port: int) -> None:
    """Answer every POST 200 at once, counting distinct event ids; GET answers the counts."""
    ids: set[str] = set()
    deliveries = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal deliveries
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                if head.startswith(b"POST"):
                    deliveries += 1
                    ids.add(json.loads(body)["id"])
                    answer = b""
                else:
                    answer = json.dumps({"events": len(ids), "deliveries": deliveries}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


@contextmanager
def receiver() -> Iterator[str]:
    """The receiver in a child process, so it takes no time from this one or from wrk."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.webhooks", "--receive", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with stopping(proc):
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the webhook receiver did not start") from None
                time.sleep(0.05)
        yield url


def _events(url: str) -> int:
    return int(httpx.get(url, timeout=10).json()["events"])


@contextmanager
def reference(db: Path, name: str, webhooks: Path | None) -> Iterator[Contender]:
    server = ServeProcess(db, [TOKEN], args=("--webhooks", str(webhooks)) if webhooks else ())
    server.start()
    try:
        yield Contender(name, server.url, "", server.pid)
    finally:
        server.stop()


def wrk_create(url: str, connections: int, seconds: int) -> tuple[float, int]:
    """Requests/s and the number of creates acknowledged with a 2xx."""
    env = {
        **os.environ,
        "BENCH_TOKEN": TOKEN,
        "BENCH_METHOD": "POST",
        "BENCH_PATH": "/v1/conversations",
        "BENCH_BODY": f'{{"contact_id": "{CONTACT}"}}',
    }
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url]
    out = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=seconds + 60, check=True
    ).stdout
    rate, total = _RATE.search(out), _REQUESTS.search(out)
    if rate is None or total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    non_2xx = _NON_2XX.search(out)
    return float(rate.group(1)), int(total.group(1)) - (int(non_2xx.group(1)) if non_2xx else 0)


def _drain(url: str, expected: int, timeout: float = 60) -> tuple[int, float]:
    """Wait until the receiver holds at least ``expected`` events (or time runs out): how many
    it holds, and the seconds waited."""
    start = time.monotonic()
    while True:
        got = _events(url)
        if got >= expected or time.monotonic() - start > timeout:
            return got, time.monotonic() - start
        time.sleep(0.1)


@dataclass
class _Delivery:
    """What the receiver got around one run of the endpoint server."""

    acknowledged: int  # creates wrk saw answered with a 2xx
    rate: float  # events received per second while wrk ran
    left: int  # acknowledged creates whose event had not arrived when wrk stopped
    drained: float  # seconds until the receiver held every acknowledged create's event


def _run_endpoint(
    server: Contender, hook: str, connections: int, seconds: int
) -> tuple[float, _Delivery]:
    before = _events(hook)
    started = time.monotonic()
    rate, acknowledged = wrk_create(server.url, connections, seconds)
    ran = time.monotonic() - started
    during = _events(hook) - before
    # Drained before the next run, so a backlog never takes CPU from the server measured next.
    _, drained = _drain(hook, before + acknowledged)
    return rate, _Delivery(acknowledged, during / ran, max(0, acknowledged - during), drained)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 repetition of 2 s runs")
    parser.add_argument("--seconds", type=int, help="seconds per wrk run (default 5; quick 2)")
    parser.add_argument("--repetitions", type=int, help="repetitions (default 3; quick 1)")
    parser.add_argument("--output", type=Path, help="markdown file (default docs/benchmarks.md)")
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receive:
        asyncio.run(_serve_receiver(args.receive))
        return 0
    if shutil.which("wrk") is None:
        print("bench.webhooks: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    seconds = args.seconds or (2 if args.quick else 5)
    repetitions = args.repetitions or (1 if args.quick else 3)
    output = args.output or report.DOCS

    rates: dict[tuple[str, int], list[float]] = {}
    ratios: dict[int, list[float]] = {}
    deliveries: dict[int, list[_Delivery]] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        hook = stack.enter_context(receiver())
        config = Path(tmp) / "webhooks.json"
        config.write_text(
            json.dumps([{"token": TOKEN, "url": f"{hook}/hook", "secret": "bench-secret"}])
        )
        servers = [
            stack.enter_context(reference(Path(tmp) / "hook.db", "endpoint", config)),
            stack.enter_context(reference(Path(tmp) / "none.db", "none", None)),
        ]
        for rep in range(repetitions):
            for connections in CONCURRENCY:
                order = servers if rep % 2 == 0 else servers[::-1]
                pair: dict[str, float] = {}
                for server in order:
                    if server.name == "endpoint":
                        rate, delivery = _run_endpoint(server, hook, connections, seconds)
                        deliveries.setdefault(connections, []).append(delivery)
                    else:
                        rate, _ = wrk_create(server.url, connections, seconds)
                    pair[server.name] = rate
                    rates.setdefault((server.name, connections), []).append(rate)
                    print(f"rep {rep + 1} c={connections:<3} {server.name:8} {rate:8.0f} req/s")
                ratios.setdefault(connections, []).append(pair["endpoint"] / pair["none"])
        acknowledged = sum(d.acknowledged for runs in deliveries.values() for d in runs)
        received, _ = _drain(hook, acknowledged, timeout=10)

    lines = [
        "| conc. | endpoint req/s | none req/s | endpoint / none | events delivered/s while "
        "it ran | acknowledged, not yet delivered at its end | all delivered after (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for connections in CONCURRENCY:
        runs = deliveries[connections]
        lines.append(
            f"| {connections} | {report.median_spread(rates[('endpoint', connections)])} | "
            f"{report.median_spread(rates[('none', connections)])} | "
            f"{statistics.median(ratios[connections]):.2f}× | "
            f"{report.median_spread([d.rate for d in runs])} | "
            f"{report.median_spread([d.left for d in runs])} | "
            f"{report.median_spread([d.drained for d in runs], 1)} |"
        )
    verdict = (
        "every acknowledged create was delivered"
        if received >= acknowledged
        else f"{acknowledged - received} NOT delivered when the bench stopped waiting"
    )
    body = "\n\n".join(
        [
            "## Webhooks and create throughput",
            f"Machine: {report.machine()}. Command: `{report.command()}`. wrk, one thread, "
            f"{seconds} s per run, {repetitions} repetitions; *endpoint* and *none* alternate "
            "(order flipped each repetition); figures are median (min–max), the ratio is the "
            "median of the per-repetition ratios of runs taken back to back.",
            "Servers: `protocol-kit serve` as shipped, one with `--webhooks` pointing the bench "
            "account at a receiver on loopback (an asyncio server in its own process answering "
            "200 at once), one with none. Requests: `POST /v1/conversations` with a `contact_id`.",
            "Delivery, per run of the endpoint server: the `conversation.created` events the "
            "receiver got while wrk ran, per second of the run; the acknowledged creates whose "
            "event had not arrived when wrk stopped; and the seconds after that until every "
            "acknowledged create's event had arrived (the bench waits for it before the next "
            "run, so a backlog never takes CPU from the server measured next).",
            "\n".join(lines),
            f"Over all runs: {acknowledged} creates acknowledged on the endpoint server, "
            f"{received} distinct events received: {verdict}. A count above the acknowledged "
            "one is a create committed while wrk was stopping, whose answer wrk did not count.",
            "The machine is shared with other jobs (2 cores, several agents): single runs swing "
            "widely; read the medians and the paired ratios.",
        ]
    )
    print(body)
    report.write_section("webhooks", body, output)
    return 0 if received >= acknowledged else 1


if __name__ == "__main__":
    raise SystemExit(main())
