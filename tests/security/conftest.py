"""The access matrices' scenario: rep A's data of every kind, built once per module."""

import pytest

from tests.security.matrix import ScenarioDB


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker):
    with ScenarioDB(django_db_blocker) as s:
        yield s
