"""The JSON API under concurrent clients on 127.0.0.1: throughput, latency and errors, against a
bare Django view (/healthz, one SELECT 1) under the same load in the same run as the ceiling.

    .venv/bin/python bench/api_load.py [--clients 8] [--seconds 20] [--workers 2]
    .venv/bin/python bench/api_load.py --sqlite-path var/bench.sqlite3
    .venv/bin/python bench/api_load.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Starts `kehu serve --no-worker` (gunicorn, sync workers) on a free port of 127.0.0.1 against the
database, gives the demo director and rep an API token each (made here, revoked at the end), and
runs `--clients` threads with keep-alive connections for `--seconds` per phase (bounded: each
phase stops at its time or at --max-requests). The API phase mixes what an integration does:
customer list pages (filtered, and the next page by cursor), a customer, its contacts, deals,
orders and interactions, as the director and as the rep. The client threads share the 2 cores
with the server, so both phases pay the same client cost; compare the ratio.
"""

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-requests", type=int, default=50_000, help="per phase")
    p.add_argument("--database-url")
    p.add_argument("--sqlite-path")
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def make_tokens():
    from kehu.accounts.models import User
    from kehu.api import services
    from kehu.customers.models import Customer

    out = {}
    for username in ("director", "rep"):
        user = User.objects.get(username=username)
        token, plaintext = services.create_token(user, f"bench {time.time():.0f}")
        ids = list(
            Customer.objects.filter(owner=user).order_by("-id").values_list("pk", flat=True)[:200]
        )
        out[username] = (token, plaintext, ids)
    return out


def revoke(tokens):
    from kehu.api import services

    for token, _plaintext, _ids in tokens.values():
        services.revoke_token(token.user, token)


def api_requests(tokens):
    """An endless mix of (path, token) like an integration's."""
    rng = random.Random(7)
    while True:
        who = "director" if rng.random() < 0.5 else "rep"
        _token, plaintext, ids = tokens[who]
        cid = rng.choice(ids)
        path = rng.choice(
            [
                "/api/v1/customers?limit=50",
                "/api/v1/customers?limit=50&tier=A",
                "/api/v1/customers?limit=50&status=customer",
                f"/api/v1/customers/{cid}",
                f"/api/v1/customers/{cid}/contacts",
                f"/api/v1/deals?customer={cid}",
                f"/api/v1/orders?customer={cid}",
                f"/api/v1/interactions?customer={cid}",
                "/api/v1/stages",
            ]
        )
        yield path, plaintext


def run_phase(port, make_paths, clients, seconds, max_requests):
    lock = threading.Lock()
    latencies, errors, statuses, done = [], [], {}, [0]
    stop_at = time.monotonic() + seconds

    def client(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        paths = make_paths(n)
        while time.monotonic() < stop_at:
            with lock:
                if done[0] >= max_requests:
                    return
                done[0] += 1
            path, token = next(paths)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except Exception as exc:  # noqa: BLE001 - counted as an error
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, body = 0, str(exc).encode()
            ms = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 500 or status == 0 or status == 401:
                    errors.append((status, path, body[:200]))
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "errors": len(errors),
        "statuses": statuses,
        "first_errors": errors[:3],
    }


def main():
    args = parse_args()
    env = {"KEHU_STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        env["KEHU_SQLITE_PATH"] = args.sqlite_path or str(ROOT / "var/bench.sqlite3")
    setup_django(env)
    from django.db import connection

    tokens = make_tokens()
    connection.close()
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/kehu"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--no-worker",
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"API load · {connection.vendor} · {args.clients} clients · {args.seconds:.0f} s a "
            f"phase · gunicorn {args.workers} sync workers · 127.0.0.1:{port}",
            flush=True,
        )
        # warm both (imports, caches, the database's pages)
        run_phase(port, lambda n: api_requests(tokens), 2, 3, 200)
        phases = [
            ("bare Django view (/healthz)", lambda n: iter(lambda: ("/healthz", ""), None)),
            ("API mix (director and rep)", lambda n: api_requests(tokens)),
        ]
        results = {}
        header = (
            f"{'phase':<30} {'requests':>8} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} errors"
        )
        print(header)
        print("-" * len(header))
        for label, paths in phases:
            r = run_phase(port, paths, args.clients, args.seconds, args.max_requests)
            results[label] = r
            print(
                f"{label:<30} {r['requests']:>8,} {r['rps']:>8.1f} {r['p50']:>7.1f} "
                f"{r['p95']:>7.1f} {r['p99']:>7.1f} {r['errors']}",
                flush=True,
            )
            for status, path, body in r["first_errors"]:
                print(f"    {status} {path} {body!r}")
        base, api = results[phases[0][0]], results[phases[1][0]]
        print(
            f"\nAPI throughput {api['rps'] / base['rps']:.2f}x the bare view's; statuses "
            f"{json.dumps(api['statuses'])}; latency in ms."
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
        revoke(tokens)


if __name__ == "__main__":
    main()
