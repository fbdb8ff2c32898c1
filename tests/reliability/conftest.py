"""Kehu processes of their own (tests/reliability/child.py) against a database of the test's
own, for what one process cannot show: two workers at once, a process killed half-way.

The database is migrated and seeded once per session (a template), then copied per test: on
SQLite a file copied; on PostgreSQL (DATABASE_URL set) `CREATE DATABASE … TEMPLATE`, named
after the configured database and the xdist worker so that parallel runs and workers do not
clash, dropped afterwards."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

CHILD = Path(__file__).with_name("child.py")
ROOT = CHILD.parents[2]
WAIT = 120  # seconds a child may take before the test gives up on it (a hang, not a timing)


class Child:
    """A running child; `paused` waits until it reached its pause point."""

    def __init__(self, process: subprocess.Popen, marker: Path, go: Path):
        self.process, self.marker, self.go = process, marker, go

    def paused(self) -> None:
        deadline = time.monotonic() + WAIT
        while not self.marker.exists():
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                raise AssertionError(f"the child ended before its pause point:\n{out}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError("the child never reached its pause point")
            time.sleep(0.02)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(WAIT)
        assert self.process.returncode == -signal.SIGKILL

    def resume(self) -> dict:
        self.go.touch()
        return self.result()

    def result(self) -> dict:
        out, err = self.process.communicate(timeout=WAIT)
        assert self.process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


class Database:
    def __init__(self, env: dict, tmp: Path, seeded: dict):
        self.env, self.tmp, self.seeded = env, tmp, seeded

    def _env(self, pause, tasks_in_db):
        env = {**self.env}
        if not tasks_in_db:
            env["KEHU_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
        if pause:
            name = uuid.uuid4().hex[:8]
            env.update(
                REL_PAUSE=pause,
                REL_MARKER=str(self.tmp / f"paused-{name}"),
                REL_GO=str(self.tmp / f"go-{name}"),
            )
        return env

    def start(self, scenario, *args, pause=None, tasks_in_db=False) -> Child:
        env = self._env(pause, tasks_in_db)
        process = subprocess.Popen(
            [sys.executable, str(CHILD), scenario, *map(str, args)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return Child(
            process,
            Path(env.get("REL_MARKER", "/nonexistent")),
            Path(env.get("REL_GO", "/nonexistent")),
        )

    def run(self, scenario, *args, tasks_in_db=False) -> dict:
        return self.start(scenario, *args, tasks_in_db=tasks_in_db).result()


def _base_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REL_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kehu.settings",
        KEHU_VAR_DIR=str(tmp),
        KEHU_LOG_LEVEL="ERROR",
        KEHU_STATIC_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        KEHU_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.pop("KEHU_TASKS_BACKEND", None)
    return env


def _postgres(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), autocommit=True
    )


def _seed(env: dict, tmp: Path) -> dict:
    seeded = subprocess.run(
        [sys.executable, str(CHILD), "seed"],
        cwd=ROOT,
        env={**env, "KEHU_TASKS_BACKEND": "django_tasks_db.DatabaseBackend"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert seeded.returncode == 0, seeded.stderr
    return json.loads(seeded.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A migrated, seeded database to copy: (env, seeded ids, how to copy it)."""
    tmp = tmp_path_factory.mktemp("reliability")
    env = _base_env(tmp)
    url = os.environ.get("DATABASE_URL")
    if not url:
        env.pop("DATABASE_URL", None)
        env["KEHU_SQLITE_PATH"] = str(tmp / "template.sqlite3")
        yield env, _seed(env, tmp), None
        return
    base = urlsplit(url).path.lstrip("/") or "kehu"
    # one template per xdist worker: each worker's session creates and drops its own, and a
    # shared name let one worker drop the template while the other was still copying it
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{base}_reltmpl_{worker}"[:55]
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = _postgres(url, name)
    try:
        yield env, _seed(env, tmp), name
    finally:
        with _admin(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(template, tmp_path):
    """A fresh copy of the template for this test."""
    env, seeded, pg_template = template
    env = {**env, "KEHU_VAR_DIR": str(tmp_path)}
    if pg_template is None:
        source = Path(env["KEHU_SQLITE_PATH"])
        target = tmp_path / "kehu.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        env["KEHU_SQLITE_PATH"] = str(target)
        yield Database(env, tmp_path, seeded)
        return
    url = os.environ["DATABASE_URL"]
    name = f"{pg_template}_{uuid.uuid4().hex[:6]}"[:63]
    with _admin(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    env["DATABASE_URL"] = _postgres(url, name)
    try:
        yield Database(env, tmp_path, seeded)
    finally:
        with _admin(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
