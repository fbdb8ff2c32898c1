"""A second database of the test's backend, as a connection alias, for tests that restore
into one (backups) or read from one (the read-replica router)."""

from contextlib import closing, suppress

import pytest
from django.db import connection, connections

from kehu.core import backup


class Scratch:
    def __init__(self, tmp_path):
        self.base = dict(connection.settings_dict)
        self.aliases = []
        self.pg_names = []
        self.tmp_path = tmp_path

    def make(self, alias: str) -> dict:
        """An empty database registered as `alias` (a file for SQLite, a new PostgreSQL
        database beside the test database); dropped at the end of the test."""
        if connection.vendor == "sqlite":
            name = str(self.tmp_path / f"{alias}.sqlite3")
        else:
            name = f"{self.base['NAME']}_{alias}"
            with closing(self._maintenance()) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            self.pg_names.append(name)
        settings_dict = {**self.base, "NAME": name, "TEST": {**self.base.get("TEST", {})}}
        connections.settings[alias] = settings_dict
        self.aliases.append(alias)
        return settings_dict

    def _maintenance(self):
        return backup.pg_connect({**self.base, "NAME": "postgres"}, autocommit=True)

    def drop(self):
        for alias in self.aliases:
            if alias in connections:
                connections[alias].close()
            with suppress(AttributeError):
                del connections[alias]
            connections.settings.pop(alias, None)
        if self.pg_names:
            with closing(self._maintenance()) as conn:
                for name in self.pg_names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch(transactional_db, tmp_path):
    made = Scratch(tmp_path)
    yield made
    made.drop()
