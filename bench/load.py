"""Load generators: `wrk` with the Lua scripts of `bench/lua/`, `pgbench`, and a thread race.

Every run is bounded: wrk and pgbench by their duration plus a hard subprocess timeout, the race by
its count of requests and a socket timeout.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
GRACE_SECONDS = 30


def ensure_wrk() -> str:
    """wrk from Debian, installed like `.ci/setup-system.sh` installs chromium."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return shutil.which("wrk")


def wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else "wrk"


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def figure(
    *, requests: int, seconds: float, p50_ms: float, p95_ms: float, p99_ms: float, **extra
) -> dict:
    return {
        "available": True,
        "requests": requests,
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": round(p50_ms, 2),
        "p95_ms": round(p95_ms, 2),
        "p99_ms": round(p99_ms, 2),
        **extra,
    }


def run_wrk(
    *,
    base_url: str,
    path: str,
    script: str,
    args: list[str] = (),
    connections: int,
    threads: int,
    seconds: int,
) -> dict:
    """One bounded wrk run; the figure from the JSON line `lua/common.lua` prints."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_DIR / script),
        base_url + path,
    ]
    if args:
        command += ["--", *args]
    env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR)}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + GRACE_SECONDS
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    counts = raw["counts"]
    cycles = counts.pop("cycles", None)
    statuses = {k: v for k, v in sorted(counts.items())}
    non_2xx = sum(v for k, v in statuses.items() if not k.startswith("2"))
    socket_errors = sum(v for k, v in raw["errors"].items() if k != "status")
    lat = raw["latency_us"]
    extra = {"cycles": cycles} if cycles is not None else {}
    return figure(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        errors=socket_errors,
        non_2xx=non_2xx,
        statuses=statuses,
        connections=connections,
        **extra,
    )


def run_pgbench(*, dsn_args: list[str], database: str, clients: int, seconds: int) -> dict:
    """R2: TPC-B-like transactions per second (`pgbench -i -s 10` first), latencies from its log."""
    subprocess.run(
        ["pgbench", *dsn_args, "-i", "-s", "10", "-q", database],
        check=True,
        capture_output=True,
        timeout=600,
    )
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        prefix = str(Path(tmp) / "pgbench")
        done = subprocess.run(
            [
                "pgbench",
                *dsn_args,
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-l",
                f"--log-prefix={prefix}",
                database,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + GRACE_SECONDS,
            check=True,
        )
        latencies = []
        for log in Path(tmp).glob("pgbench*"):
            for row in log.read_text().splitlines():
                fields = row.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1000)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies.sort()
    tps = float(match.group(1)) if match else len(latencies) / seconds
    return {
        "available": True,
        "transactions": len(latencies),
        "seconds": seconds,
        "transactions_per_s": round(tps, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "errors": int(failed.group(1)) if failed else 0,
        "clients": clients,
        "scale": 10,
    }


def _post(host: str, port: int, path: str, token: str, body: dict) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        try:
            data = json.loads(payload)
        except ValueError:
            data = {}
        return response.status, data, elapsed
    finally:
        connection.close()


def race(*, host: str, port: int, tokens: list[str], book_id: int, days: int = 1) -> dict:
    """All members POST a reservation of the same book at once (released by one barrier)."""
    barrier = threading.Barrier(len(tokens), timeout=60)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def member(token: str) -> None:
        try:
            barrier.wait()
            status, _, elapsed = _post(
                host, port, "/api/reservations/", token, {"book": book_id, "days": days}
            )
        except Exception:  # a socket error is counted, never raised out of the thread
            status, elapsed = 0, 0.0
        with lock:
            results.append((status, elapsed))

    threads = [threading.Thread(target=member, args=(t,), daemon=True) for t in tokens]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    wall = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"statuses": statuses, "latencies": [e for _, e in results], "wall": wall}
