"""The product under load on 127.0.0.1: concurrent simulated users (logged in through the login
page as the demo rep, rep2, rep3, manager and director, round-robin) run a mixed workload against
gunicorn, and a bare Django view served by the same gunicorn in the same run is the ceiling.

    .venv/bin/python bench/load.py --db sqlite   [--customers 100000] [--users 10] [--seconds 180]
    .venv/bin/python bench/load.py --db postgres [--reuse]
    .venv/bin/python bench/load.py --customers 5000 --seconds 20     # a short development run

Database: SQLite in var/load.sqlite3 (--sqlite-path), or the PostgreSQL database `kehu_load` on
postgres://postgres@127.0.0.1:5432 (--database-url). It is rebuilt (`kehu migrate` + `kehu demo
--customers N`) unless --reuse finds one with at least N customers; --reuse on a missing or
smaller database builds it.

Server: gunicorn bound to 127.0.0.1 on a free port, --workers 4 sync workers by default (two per
core: a sync worker waiting on the database, or on SQLite's write lock, leaves the core to
another), no background worker, settings bench/load_settings.py (Kehu's, plus /_bare/ from
bench/load_urls.py). The server is stopped on exit, Ctrl-C or error.

Workload (each simulated user sends its next request as soon as the last one answers — a closed
loop, no think time unless --think-ms): customer list (first page, tier A, customers by status)
25%, search (pinyin initials, a phone fragment, part of a name) 20%, a customer page 25%,
logging an interaction (POST with the CSRF token, like the customer page's form) 10%, moving a
deal to another open stage (the board's POST, answered in JSON) 10%, the dashboard 10%
(--mix writes: only the two writes, 50% each). Reads and writes touch only what the user may see
and change. Phases: a short warm-up; the bare view for --bare-seconds without cookies (the
ceiling), then for as long as the logged-in users (what every page pays first: the session and
the user are read on every request); then the mix (--seconds). Each phase stops at its time or
at --max-requests. Reported per action and overall: requests, req/s, p50/p95/p99 ms, errors (any
answer but 2xx/3xx, or no answer), with every 5xx listed, and the mix's throughput as a share of
the bare view's. The client threads share the 2 cores with the server (both phases pay it).
"""

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from customer_list import percentile  # noqa: E402

DEMO_LOGINS = ["rep", "rep2", "rep3", "manager", "director"]
DEMO_PASSWORD = "kehu-demo-2026"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
MIXES = {  # action → weight
    "default": {
        "list": 25,
        "search": 20,
        "customer": 25,
        "log interaction": 10,
        "move deal": 10,
        "dashboard": 10,
    },
    # only writes: where SQLite's single writer shows
    "writes": {"log interaction": 50, "move deal": 50},
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--customers", type=int, default=100_000, help="demo scale (default 100000)")
    p.add_argument("--reuse", action="store_true", help="reuse the database if it is big enough")
    p.add_argument("--users", type=int, default=10, help="concurrent simulated users (10)")
    p.add_argument("--seconds", type=float, default=180, help="length of the mixed phase (180)")
    p.add_argument("--bare-seconds", type=float, default=30, help="length of the bare phase (30)")
    p.add_argument("--max-requests", type=int, default=200_000, help="per phase (200000)")
    p.add_argument("--think-ms", type=float, default=0, help="pause between a user's requests")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    p.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: sync; more: gthread)"
    )
    p.add_argument("--sqlite-path", default=str(ROOT / "var/load.sqlite3"))
    p.add_argument("--database-url", default=f"{POSTGRES_SERVER}/kehu_load")
    p.add_argument(
        "--mix", choices=sorted(MIXES), default="default", help="default, or only the writes"
    )
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    if not 1 <= args.users <= 200:
        p.error("--users is 1..200")
    if not 0 < args.seconds <= 3600 or not 0 < args.bare_seconds <= 3600:
        p.error("phases last 0..3600 s")
    return args


def database_env(args) -> dict:
    env = {
        # the pages render without collected, hashed static files (none are fetched here)
        "KEHU_STATIC_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # a dashboard cache of the run's own, not the one of an instance on this machine
        "KEHU_CACHE_DIR": str(ROOT / f"var/load-cache-{args.db}"),
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = args.database_url
    else:
        env["KEHU_SQLITE_PATH"] = str(Path(args.sqlite_path).resolve())
    return env


def child_env(env: dict) -> dict:
    out = {**os.environ, **env}
    if "DATABASE_URL" not in env:
        out.pop("DATABASE_URL", None)
    return out


# --- the database ------------------------------------------------------------------------------
def count_customers(args, env) -> int | None:
    """Customers in the load database, None when there is none (or no schema)."""
    if args.db == "sqlite":
        import sqlite3

        path = Path(env["KEHU_SQLITE_PATH"])
        if not path.exists():
            return None
        try:
            with sqlite3.connect(path) as conn:
                return conn.execute("SELECT COUNT(*) FROM customers_customer").fetchone()[0]
        except sqlite3.Error:
            return None
    import psycopg

    try:
        with psycopg.connect(args.database_url, connect_timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM customers_customer").fetchone()[0]
    except psycopg.Error:
        return None


def recreate_database(args, env):
    if args.db == "sqlite":
        path = Path(env["KEHU_SQLITE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    url = urllib.parse.urlsplit(args.database_url)
    name = url.path.lstrip("/")
    admin = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_database(args, env):
    have = count_customers(args, env)
    where = env.get("DATABASE_URL") or env["KEHU_SQLITE_PATH"]
    if args.reuse and have is not None and have >= args.customers:
        print(f"reusing {where}: {have:,} customers", flush=True)
        return
    print(f"building {where}: kehu migrate + kehu demo --customers {args.customers}", flush=True)
    recreate_database(args, env)
    shutil.rmtree(env["KEHU_CACHE_DIR"], ignore_errors=True)
    started = time.monotonic()
    kehu = str(BIN / "kehu")
    subprocess.run([kehu, "migrate", "--no-input", "-v", "0"], env=child_env(env), check=True)
    subprocess.run(
        [kehu, "demo", "--customers", str(args.customers)],
        env=child_env(env),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)


def workload_data(args, env) -> dict:
    """For each demo login: customers it sees and may change, its open deals, search terms."""
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from kehu.accounts import access
    from kehu.accounts.models import User
    from kehu.core.text import pinyin_forms
    from kehu.customers.models import Contact, Customer
    from kehu.pipeline.models import Deal, Stage

    rng = random.Random(args.seed)
    open_stages = list(
        Stage.objects.filter(active=True, kind=Stage.Kind.OPEN).values_list("pk", flat=True)
    )
    data = {"stages": open_stages, "users": {}, "mix": MIXES[args.mix]}
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login)
        seen = list(
            access.visible(user, Customer).order_by("-pk").values_list("pk", flat=True)[:400]
        )
        mine = list(
            access.editable_customers(user).order_by("-pk").values_list("pk", flat=True)[:400]
        )
        deals = list(
            access.visible(user, Deal)
            .filter(customer__in=access.editable_customers(user), stage__kind=Stage.Kind.OPEN)
            .order_by("-pk")
            .values_list("pk", flat=True)[:400]
        )
        names = list(
            access.visible(user, Customer).order_by("-pk").values_list("name", flat=True)[:200]
        )
        phones = [
            p
            for p in Contact.objects.filter(customer_id__in=seen[:200]).values_list(
                "phone", flat=True
            )
            if p and len(p) >= 11
        ]
        terms = []
        for name in rng.sample(names, min(len(names), 30)):
            core = name[2:6] if len(name) > 6 else name[:4]  # past the city, e.g. 杭州
            terms.append(("name", core))
            initials = pinyin_forms(core)[1]
            if len(initials) >= 3:
                terms.append(("pinyin", initials))
        for phone in rng.sample(phones, min(len(phones), 30)):
            terms.append(("phone", phone[3:10]))
        data["users"][login] = {"seen": seen, "mine": mine, "deals": deals, "terms": terms}
        print(
            f"  {login:<9} sees {len(seen)} (sample), may change {len(mine)}, "
            f"{len(deals)} open deals, {len(terms)} search terms",
            flush=True,
        )
    connection.close()
    return data


# --- the server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1, in its own process group, stopped whatever happens."""

    def __init__(self, args, env):
        self.port = free_port()
        self.log_path = ROOT / f"var/load-server-{args.db}.log"
        worker_class = "sync" if args.threads <= 1 else "gthread"
        self.label = f"gunicorn {args.workers} {worker_class} workers" + (
            f" × {args.threads} threads" if args.threads > 1 else ""
        )
        self.argv = [
            str(BIN / "gunicorn"),
            "kehu.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(max(args.threads, 1)),
            "--timeout",
            "120",
        ]
        self.env = child_env(
            {
                **env,
                "DJANGO_SETTINGS_MODULE": "bench.load_settings",
                "PYTHONPATH": os.pathsep.join(
                    p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p
                ),
            }
        )
        self.process = None

    def start(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the whole group
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/_bare/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group is gunicorn's own
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        finally:
            self.log.close()

    def errors_logged(self, limit=40) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        lines = [
            line for line in text.splitlines() if "Error" in line or "error" in line.split(":")[0]
        ]
        return lines[-limit:]


# --- the simulated users -----------------------------------------------------------------------
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Session:
    """A browser's worth: keep-alive connection and cookies."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a sync worker closed the kept-alive socket: reconnect once
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, response.headers, data

    def login(self, username):
        status, _h, page = self.request("GET", "/accounts/login/")
        token = CSRF_INPUT.search(page.decode())
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        status, headers, _b = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token[1]},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{username} could not log in ({status}): check the demo password")

    def close(self):
        if self.conn is not None:
            self.conn.close()


def next_request(rng, login, data):
    """→ (action, method, path, form body or None, headers)."""
    mine = data["users"][login]
    mix = data["mix"]
    action = rng.choices(list(mix), weights=list(mix.values()))[0]
    if action == "list":
        query = rng.choice(["", "?tier=A", "?status=customer", "?sort=-last_contact_at"])
        return action, "GET", f"/customers/{query}", None, {}
    if action == "search" and mine["terms"]:
        _kind, term = rng.choice(mine["terms"])
        return action, "GET", "/customers/?" + urllib.parse.urlencode({"q": term}), None, {}
    if action == "log interaction" and mine["mine"]:
        pk = rng.choice(mine["mine"])
        body = {
            "method": rng.choice(["phone", "wechat", "visit", "email"]),
            "content": f"负载测试 {rng.randrange(10**6)}：电话沟通需求",
            "feedback": "客户有兴趣",
        }
        return action, "POST", f"/followups/customers/{pk}/log/", body, {}
    if action == "move deal" and mine["deals"] and len(data["stages"]) > 1:
        pk = rng.choice(mine["deals"])
        body = {"stage": rng.choice(data["stages"])}
        return action, "POST", f"/deals/{pk}/move/", body, {"Accept": "application/json"}
    if action == "dashboard":
        return action, "GET", "/reports/", None, {}
    pk = rng.choice(mine["seen"])
    return "customer", "GET", f"/customers/{pk}/", None, {}


def run_phase(port, sessions, data, seconds, max_requests, think_ms, seed, bare=False):
    lock = threading.Lock()
    samples = []  # (action, ms, status)
    failures = []  # (action, status, method, path, body excerpt)
    count = [0]
    stop_at = time.monotonic() + seconds

    def user(n, login, session):
        rng = random.Random(seed * 1000 + n)
        while time.monotonic() < stop_at:
            with lock:
                if count[0] >= max_requests:
                    return
                count[0] += 1
            if bare:
                action, method, path, body, headers = "bare view", "GET", "/_bare/", None, {}
            else:
                action, method, path, body, headers = next_request(rng, login, data)
            if method == "POST":
                headers = {**headers, "X-CSRFToken": session.cookies.get("csrftoken", "")}
                body = {**body, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
            started = time.perf_counter()
            try:
                status, _headers, content = session.request(method, path, body, headers)
            except Exception as exc:  # noqa: BLE001 - no answer is an error, counted
                session.close()
                session.conn = None
                status, content = 0, repr(exc).encode()
            ms = (time.perf_counter() - started) * 1000
            with lock:
                samples.append((action, ms, status))
                if not 200 <= status < 400:
                    failures.append((action, status, method, path, content[:300]))
            if think_ms:
                time.sleep(think_ms / 1000)

    threads = [
        threading.Thread(target=user, args=(n, login, session), daemon=True)
        for n, (login, session) in enumerate(sessions)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, failures, time.monotonic() - started


def summarise(samples, elapsed, action=None):
    rows = [s for s in samples if action is None or s[0] == action]
    if not rows:
        return None
    ms = sorted(r[1] for r in rows)
    errors = sum(1 for r in rows if not 200 <= r[2] < 400)
    return {
        "requests": len(rows),
        "rps": len(rows) / elapsed,
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "errors": errors,
        "5xx": sum(1 for r in rows if r[2] >= 500),
    }


def print_row(label, r):
    print(
        f"{label:<22} {r['requests']:>9,} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
        f"{r['p99']:>8.1f} {r['errors']:>7} {r['5xx']:>5}",
        flush=True,
    )


def main():
    args = parse_args()
    env = database_env(args)
    prepare_database(args, env)
    print("workload data:", flush=True)
    data = workload_data(args, env)
    server = Server(args, env)
    sessions = []

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with it ignored
    try:
        server.start()
        vendor = "PostgreSQL" if args.db == "postgres" else "SQLite"
        print(
            f"\nLoad · {vendor} · {args.customers:,} customers · {args.users} users · "
            f"{server.label} · 127.0.0.1:{server.port}",
            flush=True,
        )
        logins = [DEMO_LOGINS[n % len(DEMO_LOGINS)] for n in range(args.users)]
        for login in logins:  # one session each, as people log in (PBKDF2: ~0.6 s each)
            session = Session(server.port)
            session.login(login)
            sessions.append((login, session))
        # warm-up: imports, templates, caches, the database's pages; not reported
        run_phase(server.port, sessions, data, min(10, args.seconds), 500, 0, args.seed + 1)
        bound = (args.max_requests, args.think_ms, args.seed)
        # the ceiling: the bare view without cookies, so nothing reads the session
        anonymous = [(login, Session(server.port)) for login, _s in sessions]
        bare, _f, bare_elapsed = run_phase(
            server.port, anonymous, data, args.bare_seconds, *bound, bare=True
        )
        # the same view as the logged-in users ask it: what every page pays before its own
        # work (LoginRequiredMiddleware reads the session and the user on every request)
        bare_in, _f, bare_in_elapsed = run_phase(
            server.port, sessions, data, args.bare_seconds, *bound, bare=True
        )
        samples, failures, elapsed = run_phase(server.port, sessions, data, args.seconds, *bound)
        header = (
            f"{'action':<22} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'errors':>7} {'5xx':>5}"
        )
        print(
            f"\nbare view {bare_elapsed:.0f} s (+ {bare_in_elapsed:.0f} s logged in), "
            f"mix '{args.mix}' {elapsed:.0f} s\n{header}\n" + "-" * len(header)
        )
        ceiling = summarise(bare, bare_elapsed)
        print_row("bare view (ceiling)", ceiling)
        print_row("bare view, logged in", summarise(bare_in, bare_in_elapsed))
        for action in data["mix"]:
            r = summarise(samples, elapsed, action)
            if r:
                print_row(action, r)
        overall = summarise(samples, elapsed)
        print("-" * len(header))
        print_row("mix, overall", overall)
        print(
            f"\nThe mix's throughput is {overall['rps'] / ceiling['rps']:.3f}x the bare view's "
            f"({overall['rps']:.1f} / {ceiling['rps']:.1f} req/s); "
            f"p50 {overall['p50'] / ceiling['p50']:.1f}x."
        )
        statuses = {}
        for _a, _ms, status in samples:
            statuses[status] = statuses.get(status, 0) + 1
        print("statuses:", dict(sorted(statuses.items())))
        if failures:
            server_errors = [f for f in failures if f[1] >= 500]
            others = [f for f in failures if f[1] < 500]
            print(f"\n{len(failures)} errors: {len(server_errors)} 5xx (all listed, up to 200)")
            for action, status, method, path, body in server_errors[:200] + others[:15]:
                print(f"  {status} {action}: {method} {path} {body[:160]!r}")
            logged = server.errors_logged()
            if logged:
                print(f"\nserver log ({server.log_path}), error lines:")
                print("\n".join(f"  {line}" for line in logged))
        else:
            print("errors: none")
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the server", file=sys.stderr)
        sys.exit(130)
    finally:
        for _login, session in sessions:
            session.close()
        server.stop()


if __name__ == "__main__":
    main()
