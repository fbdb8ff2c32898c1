"""The read-replica router: report reads go to the 'replica' database when one is configured,
writes never do, and nothing inside a transaction or outside a report leaves the primary.

The "replica" here is a copy of the test database taken with kehu.core.backup at one moment
(a replica that stopped replicating then): what a read returns shows where it ran."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from kehu.core import backup
from kehu.core.db_router import REPLICA, ReplicaRouter, reporting, reporting_db
from kehu.customers.models import Customer, Tag
from tests.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(people, scratch, tmp_path):
    """A replica holding one customer and the people's tags; the primary moves on after."""
    people.customer(people.rep, "杭州镜像科技有限公司")
    path = tmp_path / "snapshot.bak"
    backup.backup(connection, path)
    target = scratch.make(REPLICA)
    backup.restore(path, target)
    # Django's test case forbids opening connections to aliases it was not told about when
    # the test started (this one did not exist then); one opened here is allowed to be used
    connections[REPLICA].connect()
    return target


def test_without_a_replica_reports_read_the_primary(people):
    people.customer(people.rep, "杭州科技有限公司")
    with reporting():
        assert reporting_db() == DEFAULT_DB_ALIAS
        assert Customer.objects.count() == 1
    assert ReplicaRouter().db_for_read(Customer) is None


def test_report_reads_go_to_the_replica_and_writes_to_the_primary(people, replica):
    people.customer(people.rep, "上海新客户有限公司")  # written after the snapshot
    assert Customer.objects.count() == 2  # the primary, outside a report

    with reporting():
        assert reporting_db() == REPLICA
        assert Customer.objects.count() == 1  # the replica: it has not seen the new one
        tag = Tag.objects.get(name="需求急迫")
        assert tag._state.db == REPLICA
        # a write inside a report still goes to the primary, even of an object read there
        tag.color = Tag.Color.GREY
        tag.save(update_fields=["color"])
        Tag.objects.filter(name="价格敏感").update(group="价格")
        Tag.objects.create(name="新标签")

    assert Tag.objects.get(name="需求急迫").color == Tag.Color.GREY
    assert Tag.objects.get(name="价格敏感").group == "价格"
    assert Tag.objects.filter(name="新标签").exists()
    on_replica = Tag.objects.using(REPLICA)
    assert on_replica.get(name="需求急迫").color == "danger"
    assert on_replica.get(name="价格敏感").group == "需求"
    assert not on_replica.filter(name="新标签").exists()


def test_reads_inside_a_transaction_stay_on_the_primary(people, replica):
    with reporting(), transaction.atomic():
        people.customer(people.rep, "上海新客户有限公司")
        assert reporting_db() == DEFAULT_DB_ALIAS
        assert Customer.objects.count() == 2  # sees its own write
    with reporting():
        assert Customer.objects.count() == 1


def test_the_pivot_page_reads_the_replica(people, replica):
    people.customer(people.rep, "上海新客户有限公司")
    client = client_for(people.director)
    customers = Customer._meta.db_table

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get("/reports/pivot/", {"source": "customers", "rows": "tier"})

    assert response.status_code == 200
    assert any(customers in q["sql"] for q in on_replica.captured_queries)
    assert not any(customers in q["sql"] for q in on_primary.captured_queries)
    # the session and the login are the primary's (the middleware runs outside the report)
    assert on_primary.captured_queries


def test_a_replica_is_never_migrated():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "customers") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "customers") is None
