"""The API's access matrix, generated from its OpenAPI schema: every operation (method and
path) of /api/v1 has a rule below; an operation without one (or a rule without an operation)
fails. Each operation is called by every role with its own personal token
(tests/security/matrix.py): no token is a 401; a role outside `read` gets 403/404; a role in
`read` gets 200. Whatever the status, a role that may not see rep A's customer never finds its
secret in the JSON — lists with their filters pointed at rep A included. Writes are sent by
every role outside `write` and must change no row of any table; one role of `write` then sends
the same body and must change something, so the refusals are not just bad input."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import transaction

from kehu.api.api import api
from tests.security.matrix import (
    CHANGES_A,
    ROLES,
    SECRET,
    SEES_A,
    SIGNED_IN,
    api_client_for,
    assert_rules_cover,
    changes,
    fingerprint,
    text_of,
)

SALES = SIGNED_IN - {"viewer"}
DENIED = (403, 404)


@dataclass(frozen=True)
class Op:
    """path: the path's arguments from the scenario. read: roles answered 200. shows: that
    role's answer carries the secret (the check is live). query: a list's filters pointed at
    rep A, each asked alone. body: a write's JSON. write: roles whose write may change
    something. writer: who sends the positive control."""

    path: Callable = lambda s: {}
    read: frozenset = SIGNED_IN
    shows: str | None = None
    query: tuple = ()
    body: Callable | None = None
    write: frozenset = CHANGES_A
    writer: str = "rep_a"


AIMED = ("customer", "owner", "team", "user", "q")


def customer_id(s):
    return {"customer_id": s.customer.pk}


RULES: dict[str, Op] = {
    "GET /api/v1/me": Op(),
    "GET /api/v1/tags": Op(),
    "GET /api/v1/stages": Op(),
    "GET /api/v1/products": Op(),
    "GET /api/v1/customers": Op(shows="rep_a", query=AIMED + ("tier", "tag")),
    "POST /api/v1/customers": Op(
        read=frozenset(), body=lambda s: {"name": "接口新客户"}, write=SALES, writer="rep_b"
    ),
    "GET /api/v1/customers/{customer_id}": Op(path=customer_id, read=SEES_A, shows="rep_a"),
    "PATCH /api/v1/customers/{customer_id}": Op(
        path=customer_id,
        read=frozenset(),
        body=lambda s: {"notes": "越权", "version": s.customer.version},
    ),
    "GET /api/v1/customers/{customer_id}/contacts": Op(
        path=customer_id, read=SEES_A, shows="rep_a"
    ),
    "POST /api/v1/customers/{customer_id}/contacts": Op(
        path=customer_id, read=frozenset(), body=lambda s: {"name": "越权联系人"}
    ),
    "GET /api/v1/contacts": Op(shows="rep_a", query=("customer",)),
    "GET /api/v1/contacts/{contact_id}": Op(
        path=lambda s: {"contact_id": s.contact.pk}, read=SEES_A, shows="rep_a"
    ),
    "GET /api/v1/interactions": Op(shows="rep_a", query=("customer", "owner")),
    "POST /api/v1/interactions": Op(
        read=frozenset(),
        body=lambda s: {"customer": s.customer.pk, "method": "phone", "content": "越权"},
    ),
    "GET /api/v1/interactions/{interaction_id}": Op(
        path=lambda s: {"interaction_id": s.interaction.pk}, read=SEES_A, shows="rep_a"
    ),
    "GET /api/v1/followups": Op(shows="rep_a", query=("customer", "owner")),
    "GET /api/v1/followups/{followup_id}": Op(
        path=lambda s: {"followup_id": s.followup.pk}, read=SEES_A, shows="rep_a"
    ),
    "GET /api/v1/deals": Op(shows="rep_a", query=("customer", "owner")),
    "POST /api/v1/deals": Op(
        read=frozenset(), body=lambda s: {"customer": s.customer.pk, "title": "越权商机"}
    ),
    "GET /api/v1/deals/{deal_id}": Op(
        path=lambda s: {"deal_id": s.deal.pk}, read=SEES_A, shows="rep_a"
    ),
    "POST /api/v1/deals/{deal_id}/stage": Op(
        path=lambda s: {"deal_id": s.deal.pk},
        read=frozenset(),
        body=lambda s: {"stage": s.stage_next.pk},
    ),
    "GET /api/v1/orders": Op(shows="rep_a", query=("customer", "owner")),
    "POST /api/v1/orders": Op(
        read=frozenset(),
        body=lambda s: {
            "customer": s.customer.pk,
            "order_date": str(s.today),
            "lines": [{"description": "越权", "quantity": "1", "unit_price": "1"}],
        },
    ),
    "GET /api/v1/orders/{order_id}": Op(
        path=lambda s: {"order_id": s.order.pk}, read=SEES_A, shows="rep_a"
    ),
    # targets carry no customer data: their rule is the rep's own, their team's and (managers)
    # their subtree's; rep A's own target is read by rep A's readers only
    "GET /api/v1/targets": Op(query=("team", "user")),
    "GET /api/v1/targets/{target_id}": Op(
        path=lambda s: {"target_id": s.rep_target.pk}, read=SEES_A
    ),
    "GET /api/v1/tiers": Op(),
    "GET /api/v1/customers/{customer_id}/tier": Op(path=customer_id, read=SEES_A),
}


def operations() -> dict[str, str]:
    """ "METHOD /path" → operationId of every operation in the OpenAPI schema."""
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}": op.get("operationId", "")
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


def test_every_api_operation_has_a_rule_and_every_rule_an_operation():
    assert_rules_cover(operations(), RULES, "API operations")


@pytest.fixture
def s(scenario, db):
    return scenario


def aimed_at_rep_a(s, key):
    return {
        "customer": s.customer.pk,
        "owner": s.users["rep_a"].pk,
        "user": s.users["rep_a"].pk,
        "team": s.people.hangzhou.pk,
        "q": "机密客户",
        "tier": "B",
        "tag": s.people.urgent.pk,
    }[key]


def call(s, role, method, url, body=None):
    client = api_client_for(s, role)
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data=json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize("key", sorted(RULES))
def test_api_matrix(s, key):
    op = RULES[key]
    method, template = key.split(" ", 1)
    url = template.format(**op.path(s))
    problems = []
    if method == "GET":
        asks = [(role, url) for role in ROLES]
        # each filter aimed at rep A, asked by those who may not see rep A's data
        for name in op.query:
            query = urlencode({name: aimed_at_rep_a(s, name)})
            asks += [(role, f"{url}?{query}") for role in ("rep_b", "manager_b", "outsider")]
        for role, asked in asks:
            response = call(s, role, method, asked)
            where = f"{role} {method} {asked}"
            if role == "anonymous":
                expected = (401,)
            elif asked != url:
                # a filter on something not theirs: empty, a 404, or refused as invalid
                expected = (200, 404, 422)
            else:
                expected = (200,) if role in op.read else DENIED
            if response.status_code not in expected:
                problems.append(f"{where}: {response.status_code}, expected {expected}")
            body = text_of(response)
            if role not in SEES_A and SECRET in body:
                problems.append(f"{where}: LEAK, rep A's data in the answer")
            if role == op.shows and asked == url and SECRET not in body:
                problems.append(f"{where}: rep A's data is not in the answer (a dead check)")
    else:
        problems += check_writes(s, op, method, url)
    assert not problems, "\n".join(problems)


def check_writes(s, op, method, url) -> list[str]:
    problems = []
    refused = [role for role in ROLES if role not in op.write]
    before = fingerprint()
    sid = transaction.savepoint()
    for role in refused:
        response = call(s, role, method, url, op.body(s))
        where = f"{role} {method} {url}"
        expected = (401,) if role == "anonymous" else DENIED
        if response.status_code not in expected:
            problems.append(f"{where}: {response.status_code}, expected {expected}")
        elif set(response.json()) != {"code", "message"}:
            problems.append(f"{where}: not an error body: {response.content[:200]}")
        if role not in SEES_A and SECRET in text_of(response):
            problems.append(f"{where}: LEAK, rep A's data in the answer")
    if not changes(before, fingerprint()):
        transaction.savepoint_commit(sid)
    else:  # someone wrote: undo, and find out who, one at a time
        transaction.savepoint_rollback(sid)
        for role in refused:
            start = fingerprint()
            response = call(s, role, method, url, op.body(s))
            if changed := changes(start, fingerprint()):
                problems.append(f"{role} {method} {url}: {response.status_code}, CHANGED {changed}")
        before = fingerprint()
    response = call(s, op.writer, method, url, op.body(s))
    if response.status_code >= 300 or not changes(before, fingerprint()):
        problems.append(
            f"{op.writer} {method} {url}: {response.status_code} {response.content[:300]!r}, "
            "changed nothing: the refusals above prove nothing (fix the rule's body)"
        )
    return problems
