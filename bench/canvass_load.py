"""Load generator for bench_canvass.py: keep-alive HTTP/1.1 GETs with a session cookie, stdlib only.

Run by the benchmark in a process of its own (not a benchmark itself, hence not named bench_*):

    python bench/canvass_load.py --port 8123 --cookie sessionid=... --paths-file paths.txt --connections 2 \
        --warmup 10 --duration 30

Each connection (a thread with its own http.client connection) walks the paths in turn, one request at a
time, reading each response whole. Requests during `warmup` seconds are not scored (each server worker
builds its canvass index on its first request). Prints one JSON object: statuses, latencies in ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from collections import Counter

SAMPLES_KEPT = 3


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cookie", required=True)
    parser.add_argument("--paths-file", required=True)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    with open(args.paths_file) as handle:
        paths = [line.strip() for line in handle if line.strip()]

    statuses: Counter = Counter()
    latencies: list[float] = []
    samples: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    scored_from, stop_at = start + args.warmup, start + args.warmup + args.duration

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        headers = {"Cookie": args.cookie, "Accept": "application/json"}
        index = offset
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            path = paths[index % len(paths)]
            index += args.connections
            began = time.perf_counter()
            scored = now >= scored_from
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
                with lock:
                    statuses[type(exc).__name__] += 1
                continue
            elapsed_ms = (time.perf_counter() - began) * 1000
            with lock:
                if scored:
                    statuses[str(response.status)] += 1
                    latencies.append(elapsed_ms)
                if response.status != 200 and len(samples) < SAMPLES_KEPT:
                    samples.append(body[:300].decode(errors="replace"))
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({
        "statuses": dict(statuses), "scored": len(latencies), "rate": len(latencies) / args.duration,
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 2), "p95": round(percentile(latencies, 0.95), 2),
                       "p99": round(percentile(latencies, 0.99), 2),
                       "max": round(max(latencies), 2) if latencies else None},
        "samples": samples,
    }))


if __name__ == "__main__":
    main()
