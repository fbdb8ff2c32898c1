"""The access matrix of the pages, generated from the URL configuration: every named URL of
`get_resolver()` has a rule below saying how to fill its arguments from rep A's data and
which roles may open it and post to it; a URL without a rule (or a rule without a URL) fails.

Each URL is asked by every role (tests/security/matrix.py): anonymous is sent to the login
page; a role outside `read` gets 403/404; a role in `read` gets 200. Whatever the status, a
role that may not see rep A's customer never finds its secret in the body — lists, searches,
filters aimed at rep A (owner, team, user, customer), exports (.xlsx cells, CSV) and PDFs
included. A URL that takes a POST is posted plausible data by every role outside `write`,
which must change no row of any table; one role of `write` then posts the same data and must
change something, so the refusals are not just bad data."""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.matrix import (
    BOSSES,
    CHANGES_A,
    CUSTOMER_NAME,
    ROLES,
    SECRET,
    SEES_A,
    SIGNED_IN,
    Scenario,
    assert_rules_cover,
    changes,
    client_for,
    fingerprint,
    text_of,
)

ALL = SIGNED_IN
NOBODY = frozenset()
SALES = frozenset({"rep_a", "rep_b", "manager_a", "manager_b", "director", "admin", "outsider"})
MANAGING = frozenset({"manager_a", "manager_b"}) | BOSSES
DENIED = (403, 404)


@dataclass(frozen=True)
class Page:
    """How the matrix asks one URL.

    kwargs: the URL's arguments from the scenario. read: roles whose GET is 200 (None: the URL
    takes POST only, every signed-in GET is 405). shows: the owner's GET shows the secret (the
    check is live: that role's GET shows the secret). query: GET parameters. exports: more GET parameters, each asked as its own
    cell (format=xlsx …). post: form data (None: no POST). write: roles whose POST may change
    something; everyone else's must change nothing. writer: who posts the positive control.
    public: no login needed."""

    kwargs: Callable[[Scenario], dict] = lambda s: {}
    read: frozenset | None = ALL
    shows: str | None = None
    query: Callable[[Scenario], dict] = lambda s: {}
    exports: tuple = ()
    post: Callable[[Scenario], dict] | None = None
    write: frozenset = CHANGES_A
    writer: str = "rep_a"
    public: bool = False
    note: str = ""
    statuses: dict = field(default_factory=dict)  # role → status other than 200/403/404


SHEETS = ({"format": "xlsx"}, {"format": "csv"})  # a list or report page's own downloads


def cust(s):
    return {"pk": s.customer.pk}


def cust_pk(s):
    return {"customer_pk": s.customer.pk}


def pk_of(name):
    return lambda s: {"pk": getattr(s, name).pk}


def customer_form(s):
    c = s.customer
    c.refresh_from_db()
    return {"name": f"{CUSTOMER_NAME}改", "kind": c.kind, "status": c.status, "version": c.version}


RULES: dict[str, Page] = {
    # --- core and accounts
    "home": Page(statuses={r: 302 for r in SIGNED_IN}, note="to My day or the dashboard"),
    "health": Page(public=True),
    "calendar-days": Page(
        read=BOSSES,
        post=lambda s: {"year": "2030", "day": "2030-03-02", "kind": "workday", "name": "调休"},
        write=BOSSES,
        writer="director",
    ),
    "login": Page(public=True, statuses={r: 302 for r in SIGNED_IN}),
    "logout": Page(read=None, note="logging out changes only the session"),
    "switch-language": Page(
        read=None,
        public=True,
        post=lambda s: {"language": "en", "next": "/"},
        write=SIGNED_IN,
        note="the actor's own language",
    ),
    "api-tokens": Page(
        post=lambda s: {"name": "脚本"}, write=SIGNED_IN, note="the actor's own tokens"
    ),
    "api-token-revoke": Page(
        kwargs=pk_of("token"), read=None, post=lambda s: {}, write=frozenset({"rep_a"})
    ),
    "api-docs": Page(public=True),
    # --- customers
    "customers:list": Page(
        shows="rep_a",
        exports=({"size": 200}, {"q": "机密客户"}, {"q": "jfjm"}, {"q": "2345678"}),
    ),
    "customers:export": Page(shows="rep_a", exports=({"format": "csv"},)),
    "customers:create": Page(
        read=SALES,
        post=lambda s: {"name": "新客户有限公司", "kind": "company", "status": "lead"},
        write=SALES,
        writer="rep_b",
    ),
    "customers:bulk": Page(
        read=None,
        post=lambda s: {"action": "status", "ids": str(s.customer.pk), "status": "churned"},
    ),
    # typing rep A's very name is the deliberate exception: test_duplicate_check_names_only
    "customers:duplicates": Page(query=lambda s: {"name": "北京乙方普通客户"}),
    "customers:save-view": Page(
        read=None, post=lambda s: {"name": "我的视图", "query": "tier=A"}, write=SIGNED_IN
    ),
    "customers:delete-view": Page(
        kwargs=pk_of("view"), read=None, post=lambda s: {}, write=frozenset({"rep_a"})
    ),
    "customers:detail": Page(kwargs=cust, read=SEES_A, shows="rep_a"),
    "customers:edit": Page(kwargs=cust, read=CHANGES_A, shows="rep_a", post=customer_form),
    "customers:merge": Page(
        kwargs=cust,
        read=CHANGES_A,
        shows="rep_a",
        query=lambda s: {"other": s.other_a.pk},
        post=lambda s: {"other": s.other_a.pk},
    ),
    "customers:contact-add": Page(kwargs=cust, read=CHANGES_A, post=lambda s: {"name": "新联系人"}),
    "customers:contact-edit": Page(
        kwargs=lambda s: {"pk": s.customer.pk, "contact_pk": s.contact.pk},
        read=CHANGES_A,
        shows="rep_a",
        post=lambda s: {"name": f"{SECRET}联系人改"},
    ),
    "customers:contact-delete": Page(
        kwargs=lambda s: {"pk": s.customer.pk, "contact_pk": s.contact.pk},
        read=None,
        post=lambda s: {},
    ),
    # --- tiering
    "tiering:policies": Page(read=BOSSES),
    "tiering:policy-new": Page(read=BOSSES, write=BOSSES, writer="director"),
    "tiering:policy-publish": Page(
        kwargs=pk_of("draft_policy"), read=None, post=lambda s: {}, write=BOSSES, writer="director"
    ),
    "tiering:policy-run": Page(
        kwargs=pk_of("policy"), read=None, post=lambda s: {}, write=BOSSES, writer="director"
    ),
    "tiering:runs": Page(read=BOSSES),
    "tiering:schedule": Page(
        read=None, post=lambda s: {"every": "month"}, write=BOSSES, writer="director"
    ),
    "tiering:review": Page(read=MANAGING, shows="manager_a", exports=SHEETS),
    "tiering:history": Page(exports=SHEETS),
    "tiering:override": Page(
        kwargs=cust_pk,
        read=None,
        post=lambda s: {"tier": "A", "reason": "越权", "expires_on": "2099-01-01"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "tiering:decide": Page(
        kwargs=pk_of("proposal"),
        read=None,
        post=lambda s: {"decision": "approve", "comment": "同意"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "tiering:propose": Page(
        kwargs=cust_pk, read=None, post=lambda s: {"to_tier": "C", "reason": "越权"}
    ),
    # --- follow-ups
    "followups:today": Page(shows="rep_a", exports=({"scope": "team"},)),
    "followups:calendar": Page(
        shows="rep_a", exports=({"scope": "team"}, {"month": "{today:%Y-%m}"})
    ),
    "followups:interactions": Page(
        shows="rep_a",
        exports=(
            {"scope": "team"},
            {"format": "xlsx", "scope": "team"},
            {"format": "csv", "scope": "team"},
        ),
    ),
    "followups:plans": Page(
        shows="rep_a",
        exports=(
            {"scope": "team"},
            {"format": "xlsx", "scope": "team"},
            {"format": "csv", "scope": "team"},
        ),
    ),
    "followups:feed": Page(post=lambda s: {}, write=SIGNED_IN, note="resets the actor's own feed"),
    "followups:ical": Page(
        kwargs=lambda s: {"token": s.feed_b.token},
        public=True,
        note="the token is the credential: rep B's feed, asked by everyone, never shows rep A's",
    ),
    "followups:notifications": Page(
        shows="rep_a", post=lambda s: {}, write=SIGNED_IN, note="marks the actor's own read"
    ),
    "followups:pool": Page(exports=SHEETS),
    "followups:claim": Page(
        kwargs=pk_of("pooled"),
        read=None,
        post=lambda s: {},
        write=SALES - {"rep_a"},
        writer="rep_b",
        note="the pool is open to salespeople; rep A released it (30 days' lock)",
    ),
    "followups:cadence": Page(read=BOSSES, write=BOSSES, writer="director"),
    "followups:log-form": Page(kwargs=pk_of("followup"), read=CHANGES_A, shows="rep_a"),
    "followups:status": Page(
        kwargs=pk_of("followup"), read=None, post=lambda s: {"status": "doing"}
    ),
    "followups:log": Page(
        kwargs=cust_pk, read=None, post=lambda s: {"method": "phone", "content": "越权电话"}
    ),
    "followups:plan": Page(
        kwargs=cust_pk,
        read=None,
        post=lambda s: {"due_on": "2099-01-07", "method": "phone", "content": "越权"},
    ),
    "followups:release": Page(kwargs=cust_pk, read=None, post=lambda s: {"reason": "越权"}),
    # --- deals
    "pipeline:list": Page(
        shows="rep_a",
        exports=({"scope": "team"}, {"format": "xlsx", "scope": "team"}, {"q": SECRET}),
    ),
    "pipeline:board": Page(shows="rep_a", exports=({"scope": "team"},)),
    "pipeline:analytics": Page(exports=(*SHEETS, {"export": "xlsx"})),
    "pipeline:stages": Page(read=BOSSES, write=BOSSES, writer="director"),
    "pipeline:new": Page(
        kwargs=cust_pk,
        read=CHANGES_A,
        post=lambda s: {"title": "越权商机", "amount": "1", "stage": s.stage_next.pk},
    ),
    "pipeline:detail": Page(
        kwargs=pk_of("deal"),
        read=SEES_A,
        shows="rep_a",
        post=lambda s: {"title": f"{SECRET}商机改", "amount": "1", "version": s.deal.version},
    ),
    "pipeline:move": Page(
        kwargs=pk_of("deal"), read=None, post=lambda s: {"stage": s.stage_next.pk}
    ),
    "pipeline:milestone-done": Page(kwargs=pk_of("milestone"), read=None, post=lambda s: {}),
    "pipeline:reset-probability": Page(kwargs=pk_of("deal"), read=None, post=lambda s: {}),
    # --- spreadsheets
    "sheets:import": Page(read=SALES, write=SALES, writer="rep_b"),
    "sheets:batch": Page(
        kwargs=pk_of("batch"),
        read=frozenset({"rep_a"}) | BOSSES,
        shows="rep_a",
        post=lambda s: {"action": "commit"},
        write=frozenset({"rep_a"}) | BOSSES,
    ),
    "sheets:errors": Page(kwargs=pk_of("batch"), read=frozenset({"rep_a"}) | BOSSES),
    "sheets:template": Page(kwargs=lambda s: {"kind": "customers"}),
    # --- purchases and lifecycle
    "sales:orders": Page(
        shows="rep_a", exports=({"format": "xlsx"}, {"format": "csv"}, {"q": SECRET})
    ),
    "sales:order-new": Page(
        kwargs=cust_pk,
        read=CHANGES_A,
        post=lambda s: {
            "order_date": "{today}",
            "line-0-description": "越权",
            "line-0-quantity": "1",
            "line-0-unit_price": "1",
        },
    ),
    "sales:order-from-deal": Page(
        kwargs=lambda s: {"deal_pk": s.won_deal.pk},
        read=CHANGES_A,
        shows="rep_a",
        post=lambda s: {
            "order_date": "{today}",
            "line-0-description": "越权",
            "line-0-quantity": "1",
            "line-0-unit_price": "1",
        },
    ),
    "sales:order": Page(kwargs=pk_of("order"), read=SEES_A, shows="rep_a"),
    "sales:order-edit": Page(
        kwargs=pk_of("order"),
        read=CHANGES_A,
        shows="rep_a",
        post=lambda s: {
            "order_date": "{today}",
            "version": s.order.version,
            "line-0-description": "改",
            "line-0-quantity": "2",
            "line-0-unit_price": "1",
        },
    ),
    "sales:order-collect": Page(kwargs=pk_of("order"), read=None, post=lambda s: {"amount": "50"}),
    "sales:order-delete": Page(kwargs=pk_of("order"), read=None, post=lambda s: {}),
    "sales:products": Page(
        post=lambda s: {"name": "越权产品", "unit_price": "1", "unit_cost": "0", "active": "on"},
        write=BOSSES,
        writer="director",
        exports=SHEETS,
    ),
    "sales:answer-new": Page(
        kwargs=cust_pk, read=None, post=lambda s: {"kind": "csat", "score": "5"}
    ),
    "sales:feedback": Page(shows="rep_a", exports=({"format": "xlsx"}, {"format": "csv"})),
    "sales:feedback-new": Page(
        kwargs=cust_pk,
        read=CHANGES_A,
        post=lambda s: {
            "kind": "complaint",
            "category": "other",
            "severity": "2",
            "summary": "越权",
        },
    ),
    "sales:feedback-detail": Page(
        kwargs=pk_of("feedback"),
        read=SEES_A,
        shows="rep_a",
        post=lambda s: {
            "status": "closed",
            "severity": "2",
            "category": "other",
            "resolution": "越权",
            "version": s.feedback.version,
        },
    ),
    "sales:lifecycle": Page(exports=SHEETS),
    "sales:warnings": Page(
        exports=(*SHEETS, {"tab": "winback"}, {"tab": "winback", "format": "xlsx"})
    ),
    "sales:winback": Page(kwargs=cust_pk, read=None, post=lambda s: {}),
    # --- plans, targets, commissions, assignment, quotas
    "planning:plans": Page(exports=SHEETS),
    "planning:edit": Page(
        query=lambda s: {"user": s.users["rep_a"].pk},
        read=frozenset({"manager_a"}) | BOSSES,
        post=lambda s: {
            "new_customers": "9",
            "revenue": "1",
            "repurchase_rate": "10",
            "churn_rate": "5",
            "satisfaction": "4",
            "version": s.plan.version,
        },
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "planning:plan": Page(
        kwargs=pk_of("plan"),
        read=SEES_A,
        post=lambda s: {"quarter": "1", "note": "越权复盘"},
        write=frozenset({"rep_a", "manager_a"}) | BOSSES,
        note="the person of a plan writes its quarterly review too",
        writer="manager_a",
        exports=SHEETS,
    ),
    "targets:board": Page(exports=SHEETS),
    "targets:set": Page(
        read=None,
        post=lambda s: {
            "metric": "won_amount",
            "period": "quarter",
            "user": s.users["rep_a"].pk,
            "amount": "1",
        },
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "targets:leaderboard": Page(exports=SHEETS),
    "targets:target": Page(kwargs=pk_of("rep_target"), read=SEES_A),
    "targets:decompose": Page(
        kwargs=pk_of("target"),
        read=None,
        post=lambda s: {"axis": "scope", "method": "equal"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "targets:part": Page(
        kwargs=pk_of("part"),
        read=None,
        post=lambda s: {"amount": "1000"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "targets:lock": Page(
        kwargs=pk_of("target"),
        read=None,
        post=lambda s: {"locked": "1"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "incentives:plans": Page(exports=SHEETS),
    "incentives:plan-new": Page(read=BOSSES, write=BOSSES, writer="director"),
    "incentives:plan-edit": Page(
        kwargs=pk_of("commission"), read=BOSSES, write=BOSSES, writer="director"
    ),
    "incentives:payout": Page(exports=SHEETS),
    "incentives:review": Page(exports=SHEETS),
    "assignment:rules": Page(read=MANAGING),
    "assignment:save-rule": Page(
        kwargs=lambda s: {"team_pk": s.people.hangzhou.pk},
        read=None,
        post=lambda s: {"active": "on", "method": "capacity", "respect_limit": "on"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "assignment:run": Page(
        kwargs=lambda s: {"team_pk": s.people.hangzhou.pk},
        read=None,
        post=lambda s: {},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "assignment:save-rep": Page(
        kwargs=lambda s: {"team_pk": s.people.hangzhou.pk, "user_pk": s.users["rep_a"].pk},
        read=None,
        post=lambda s: {
            f"rep{s.users['rep_a'].pk}-seniority": "senior",
            f"rep{s.users['rep_a'].pk}-capacity": "0.5",
        },
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "assignment:unassigned": Page(read=MANAGING, exports=SHEETS),
    "quotas:list": Page(write=BOSSES, writer="director", exports=SHEETS),
    "quotas:usage": Page(exports=({"format": "xlsx"}, {"format": "csv"})),
    "quotas:approvals": Page(shows="rep_a"),
    "quotas:decide": Page(
        kwargs=pk_of("usage"),
        read=None,
        post=lambda s: {"decision": "approve"},
        write=frozenset({"manager_a"}) | BOSSES,
        writer="manager_a",
    ),
    "quotas:log": Page(
        kwargs=cust_pk, read=None, post=lambda s: {"quota": s.quota.pk, "amount": "1"}
    ),
    # --- reports
    "reports:dashboard": Page(exports=SHEETS),
    "reports:pivot": Page(
        exports=(
            {"rows": "owner", "format": "xlsx"},
            {"source": "orders", "rows": "owner", "format": "xlsx"},
        )
    ),
    "reports:review": Page(),
    "reports:review-xlsx": Page(),
    "reports:review-pdf": Page(),
    # --- webhooks (admins and directors)
    "webhooks:list": Page(read=BOSSES),
    "webhooks:create": Page(
        read=BOSSES,
        post=lambda s: {"url": "http://127.0.0.1:9/x", "events": ["customer.created"]},
        write=BOSSES,
        writer="admin",
    ),
    "webhooks:detail": Page(kwargs=pk_of("endpoint"), read=BOSSES, shows="admin"),
    "webhooks:edit": Page(
        kwargs=pk_of("endpoint"),
        read=BOSSES,
        post=lambda s: {
            "url": "http://127.0.0.1:9/y",
            "events": ["customer.created"],
            "active": "on",
            "version": s.endpoint.version,
        },
        write=BOSSES,
        writer="admin",
    ),
    "webhooks:rotate": Page(
        kwargs=pk_of("endpoint"), read=None, post=lambda s: {}, write=BOSSES, writer="admin"
    ),
    "webhooks:test": Page(
        kwargs=pk_of("endpoint"), read=None, post=lambda s: {}, write=BOSSES, writer="admin"
    ),
    "webhooks:redeliver": Page(
        kwargs=pk_of("delivery"), read=None, post=lambda s: {}, write=BOSSES, writer="admin"
    ),
}

# Not the pages' matrix, each for a reason.
EXEMPT_NAMESPACES = {
    "admin": "Django's admin: staff only, test_admin_is_behind_the_staff_login",
    "api-v1": "the API: tests/security/test_api_access_matrix.py, from its OpenAPI schema",
}


def url_patterns(resolver=None, prefix="", namespace=None):
    """(name, route, namespace) of every URL pattern, walking includes."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from url_patterns(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield name, prefix + str(p.pattern), namespace


def routed() -> dict[str, str]:
    """name → route of every URL the matrix covers (the exempt namespaces left out)."""
    out = {}
    for name, route, namespace in url_patterns():
        if (namespace or "").split(":")[0] in EXEMPT_NAMESPACES:
            continue
        out[name or f"<unnamed {route}>"] = route
    return out


def test_every_url_has_a_rule_and_every_rule_a_url():
    assert_rules_cover(routed(), RULES, "URLs")


# --- the matrix -------------------------------------------------------------------------------
def _fill(value, s):
    if isinstance(value, str) and "{today" in value:
        return value.format(today=s.today)
    if isinstance(value, list):
        return [_fill(v, s) for v in value]
    return value


def _fill_query(query, s) -> dict:
    return {k: _fill(v, s) for k, v in query.items()}


def _data(fn, s) -> dict:
    return {k: _fill(v, s) for k, v in fn(s).items()}


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def check_get(s, name, rule, role, query) -> list[str]:
    url = reverse(name, kwargs=rule.kwargs(s))
    full = f"{url}?{urlencode(query, doseq=True)}" if query else url
    response = client_for(s, role).get(full)
    status = response.status_code
    problems = []
    where = f"{role} GET {full}"
    if role == "anonymous" and not rule.public:
        if not _is_login_redirect(response):
            problems.append(f"{where}: {status}, not the login page")
        return problems
    if role in rule.statuses:
        expected = (rule.statuses[role],)
    elif rule.read is None:
        expected = (405,) if role != "anonymous" else (302, 405)
    elif role in rule.read or (rule.public and role == "anonymous"):
        expected = (200,)
    else:
        expected = DENIED
    if status not in expected:
        problems.append(f"{where}: {status}, expected {expected}")
    if status >= 500:
        return problems
    body = text_of(response)
    if role not in SEES_A and SECRET in body:
        problems.append(f"{where}: LEAK, rep A's data in the body")
    if role == rule.shows and query == _fill_query(rule.query(s), s) and SECRET not in body:
        problems.append(f"{where}: rep A's data is not on the page for them (a dead check)")
    return problems


def check_posts(s, name, rule) -> list[str]:
    url = reverse(name, kwargs=rule.kwargs(s))
    if query := _fill_query(rule.query(s), s):
        url = f"{url}?{urlencode(query)}"
    problems = []
    refused = [role for role in ROLES if role not in rule.write]
    before = fingerprint()

    def post(role):
        response = client_for(s, role).post(url, _data(rule.post, s))
        where = f"{role} POST {url}"
        if role == "anonymous" and not rule.public and not _is_login_redirect(response):
            problems.append(f"{where}: {response.status_code}, not the login page")
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code}")
        elif response.status_code == 200 and SECRET in text_of(response) and role not in SEES_A:
            problems.append(f"{where}: LEAK, rep A's data in the body")
        return response

    for role in ROLES:
        client_for(s, role)  # signed in before the savepoint below
    sid = transaction.savepoint()
    for role in refused:
        post(role)
    if not changes(before, fingerprint()):
        transaction.savepoint_commit(sid)
    else:  # someone wrote: undo, and find out who, one at a time
        transaction.savepoint_rollback(sid)
        for role in refused:
            start = fingerprint()
            response = post(role)
            if changed := changes(start, fingerprint()):
                problems.append(
                    f"{role} POST {url}: {response.status_code} and it CHANGED {changed}"
                )
        before = fingerprint()
    # the positive control: the same data from someone allowed does something
    response = client_for(s, rule.writer).post(url, _data(rule.post, s))
    if response.status_code >= 400 or not changes(before, fingerprint()):
        form = (response.context or {}).get("form") if response.status_code == 200 else None
        problems.append(
            f"{rule.writer} POST {url}: {response.status_code}, changed nothing: "
            f"the refusals above prove nothing (fix the rule's data) {form and form.errors}"
        )
    return problems


@pytest.fixture
def s(scenario, db):
    """The scenario, with this test's signed-in clients."""
    scenario.__dict__["clients"] = {}
    yield scenario
    scenario.__dict__["clients"] = {}


@pytest.mark.parametrize("name", sorted(RULES))
def test_url_matrix(s, name):
    scenario = s
    rule = RULES[name]
    problems = []
    queries = [rule.query(scenario), *({**rule.query(scenario), **e} for e in rule.exports)]
    for query in queries:
        query = _fill_query(query, scenario)
        for role in ROLES:
            problems += check_get(scenario, name, rule, role, query)
    if rule.post is not None:
        problems += check_posts(scenario, name, rule)
    assert not problems, "\n".join(problems)


PROBES = {
    "owner": lambda s: s.users["rep_a"].pk,
    "user": lambda s: s.users["rep_a"].pk,
    "team": lambda s: s.people.hangzhou.pk,
    "customer": lambda s: s.customer.pk,
    "q": lambda s: "机密客户",  # part of rep A's name (the secret itself is echoed in the box)
    "scope": lambda s: "team",
}


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, r in RULES.items()
        if r.read and r.read != SEES_A and not r.public and n != "reports:review-pdf"
    ),
)
def test_filters_aimed_at_rep_a_show_nothing_of_theirs(s, name):
    """Every page opened by more than rep A's readers, asked by those who may not see rep A's
    data with the filters pointed at rep A (owner, user, team, customer, search, team scope),
    each alone (rep B) and all at once (rep B, manager B, the outsider): nothing of rep A's in
    any answer, whatever its status. (The review's PDF is the review page's report, probed
    there.)"""
    scenario = s
    rule = RULES[name]
    url = reverse(name, kwargs=rule.kwargs(scenario))
    base = rule.query(scenario)
    every = {key: value(scenario) for key, value in PROBES.items()}
    asks = [("rep_b", {**base, key: value}) for key, value in every.items()]
    asks += [(role, {**base, **every}) for role in ("rep_b", "manager_b", "outsider")]
    problems = []
    for role, query in asks:
        response = client_for(scenario, role).get(url, query)
        if response.status_code >= 500:
            problems.append(f"{role} GET {url} {query}: {response.status_code}")
        elif SECRET in text_of(response):
            problems.append(f"{role} GET {url} {query}: LEAK, rep A's data in the body")
    assert not problems, "\n".join(problems)


def test_admin_is_behind_the_staff_login(s):
    """Django's admin (users, teams): anonymous and every non-staff role go to its login."""
    assert any(ns == "admin" and route == "admin/" for _n, route, ns in url_patterns())
    for role in ROLES:
        response = client_for(s, role).get("/admin/")
        if role == "admin":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, role
            assert "login" in response["Location"], role


# --- what the matrix found, and its one deliberate exception -----------------------------------
def test_a_user_without_a_team_sees_no_one_elses_plans_or_targets(s):
    """Found by the matrix: a rep without a team saw every person's annual plan and target
    (their team filter was `team IS NULL`, which every per-person row matches)."""
    from kehu.planning.queries import visible_plans
    from kehu.targets.queries import visible_targets

    outsider, rep_a = s.users["outsider"], s.users["rep_a"]
    assert s.plan.pk not in visible_plans(outsider, s.plan.year).values_list("pk", flat=True)
    assert s.rep_target.pk not in visible_targets(outsider).values_list("pk", flat=True)
    assert s.plan.pk in visible_plans(rep_a, s.plan.year).values_list("pk", flat=True)
    assert s.rep_target.pk in visible_targets(rep_a).values_list("pk", flat=True)
    client = client_for(s, "outsider")
    assert client.get(f"/planning/{s.plan.pk}/").status_code == 404
    assert client.get(f"/targets/{s.rep_target.pk}/").status_code == 404


def test_deal_analytics_for_a_team_one_may_not_open_is_empty_not_an_error(s):
    """Found by the matrix: ?team= of a team outside the actor's set emptied the deals and the
    cycle-time and follow-up-method figures crashed on the empty query (a 500)."""
    url = reverse("pipeline:analytics")
    for role in ("rep_b", "manager_b", "outsider"):
        response = client_for(s, role).get(url, {"team": s.people.hangzhou.pk})
        assert response.status_code == 200, role
        assert SECRET not in text_of(response)


def test_duplicate_check_names_only(s):
    """The deliberate read outside one's set (two reps must not chase the same company): rep B
    typing rep A's customer's name is told it exists and whose it is, with no link, no id and
    nothing else of it."""
    response = client_for(s, "rep_b").get(reverse("customers:duplicates"), {"name": CUSTOMER_NAME})
    body = text_of(response)
    assert response.status_code == 200 and CUSTOMER_NAME in body
    assert str(s.users["rep_a"]) in body
    assert f"/customers/{s.customer.pk}/" not in body
    for other in (s.contact.name, s.deal.title, "13912345678"):
        assert other not in body
