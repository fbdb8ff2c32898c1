"""The access matrix's scenario and tools: rep A's data (everything the URLs and the API take
ids of), the roles that look at it, and the checks every response goes through.

Roles (tests/conftest.py's people, plus two):
  rep_a      张伟, rep of 杭州组: owns every record below
  rep_b      赵磊, rep of 北京组 (another region)
  manager_a  李经理, manager of 华东大区 (rep A's team is in her subtree)
  manager_b  钱经理, manager of 华北大区 (rep B's region, not rep A's)
  director   王总
  admin      管理员 (superuser)
  viewer     周敏, read-only, no team: reads everything, writes nothing
  outsider   an active user with the default role and no team: sees only their own
  anonymous  no session, no token

Every record of rep A carries SECRET in its name or text; a role outside SEES_A must never
find it in any response body (HTML, JSON, CSV, .xlsx cells, PDF text, iCal).
"""

import csv
import io
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

SECRET = "甲方机密"
CUSTOMER_NAME = f"{SECRET}客户有限公司"

ROLES = (
    "rep_a",
    "rep_b",
    "manager_a",
    "manager_b",
    "director",
    "admin",
    "viewer",
    "outsider",
    "anonymous",
)
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
# who may read rep A's customer and everything hanging off it
SEES_A = frozenset({"rep_a", "manager_a", "director", "admin", "viewer"})
# who may change it
CHANGES_A = frozenset({"rep_a", "manager_a", "director", "admin"})
BOSSES = frozenset({"director", "admin"})
MANAGERS = frozenset({"manager_a", "manager_b"}) | BOSSES

TEST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
}


@dataclass
class Scenario:
    users: dict = field(default_factory=dict)  # role → User (anonymous: None)
    obj: dict = field(default_factory=dict)  # what the URLs take ids of
    tokens: dict = field(default_factory=dict)  # role → API token (plaintext)

    def __getattr__(self, name):
        try:
            return self.__dict__["obj"][name]
        except KeyError:
            raise AttributeError(name) from None


def build() -> Scenario:
    """rep A's book and everyone around it, written through the services as people would."""
    from kehu.accounts import services as account_services
    from kehu.accounts.models import User
    from kehu.api import services as api_services
    from kehu.assignment import services as assignment_services
    from kehu.customers import services as customer_services
    from kehu.customers.models import Customer
    from kehu.followups import pool
    from kehu.followups import services as followup_services
    from kehu.incentives import services as incentive_services
    from kehu.pipeline import services as pipeline_services
    from kehu.pipeline.models import Milestone, Stage
    from kehu.planning import services as planning_services
    from kehu.quotas import services as quota_services
    from kehu.sales import services as sales_services
    from kehu.sheets import services as sheet_services
    from kehu.targets import periods
    from kehu.targets import services as target_services
    from kehu.tiering import services as tiering_services
    from kehu.webhooks import services as webhook_services
    from kehu.webhooks.models import Delivery, Event
    from tests.conftest import People
    from tests.sheets.conftest import xlsx
    from tests.tiering.conftest import BY_SCORE, CRITERIA

    p = People()
    manager_b = account_services.create_user(
        "manager_b", "x", name="钱经理", role=User.Role.MANAGER, team=p.north
    )
    outsider = account_services.create_user("outsider", "x", name="路人甲")
    s = Scenario()
    s.users = {
        "rep_a": p.rep,
        "rep_b": p.rep2,
        "manager_a": p.manager,
        "manager_b": manager_b,
        "director": p.director,
        "admin": p.admin,
        "viewer": p.viewer,
        "outsider": outsider,
        "anonymous": None,
    }
    o = s.obj
    o["people"] = p
    rep_a, rep_b, director, admin = p.rep, p.rep2, p.director, p.admin
    today = timezone.localdate()

    # a webhook on every event, so deliveries carry rep A's data (admins and directors only)
    o["endpoint"] = webhook_services.create_endpoint(
        admin, {"url": "http://127.0.0.1:9/hooks", "events": list(Event.values)}
    )
    pipeline_services.ensure_default_stages()
    followup_services.ensure_default_cadence()
    pool.ensure_default_rules()

    a = o["customer"] = p.customer(rep_a, CUSTOMER_NAME, tier="B")
    o["customer_b"] = p.customer(rep_b, "北京乙方普通客户有限公司", tier="B")
    o["other_a"] = p.customer(rep_a, f"{SECRET}第二客户")  # merge candidate
    o["contact"] = customer_services.add_contact(
        rep_a, a, {"name": f"{SECRET}联系人", "phone": "13912345678"}
    )
    customer_services.set_tags(rep_a, a, [p.urgent])
    o["view"] = customer_services.save_view(rep_a, f"{SECRET}视图", "q=x")
    deal = o["deal"] = pipeline_services.create_deal(
        rep_a, a, {"title": f"{SECRET}商机", "amount": "88000"}
    )
    analysis = Stage.objects.get(name="需求分析")
    pipeline_services.move_stage(rep_a, deal, analysis)
    o["milestone"] = Milestone.objects.filter(deal=deal).first()
    o["stage_next"] = Stage.objects.get(name="方案制定")
    o["won_deal"] = pipeline_services.create_deal(
        rep_a,
        a,
        {"title": f"{SECRET}赢单", "amount": "5000", "stage": Stage.objects.get(kind="won")},
    )
    o["interaction"] = followup_services.log_interaction(
        rep_a, a, method="phone", content=f"{SECRET}电话", contact=o["contact"]
    )
    o["followup"] = followup_services.plan_followup(
        rep_a, a, due_on=today + timedelta(days=1), method="visit", content=f"{SECRET}拜访"
    )
    o["product"] = sales_services.save_product(director, {"name": "通用服务", "unit_price": "100"})
    o["order"] = sales_services.create_order(
        rep_a,
        a,
        {"order_date": today, "number": f"{SECRET}合同"},
        [{"description": f"{SECRET}服务", "quantity": "1", "unit_price": "100"}],
    )
    sales_services.record_answer(rep_a, a, {"kind": "csat", "score": 2, "answered_on": today})
    o["feedback"] = sales_services.open_feedback(
        rep_a, a, {"kind": "complaint", "category": "other", "summary": f"{SECRET}投诉"}
    )
    # tiering: a published policy, a run, rep A's proposal waiting for review
    policy = tiering_services.create_policy(director, "默认客户分级", CRITERIA, BY_SCORE, "score")
    o["policy"] = tiering_services.publish_policy(director, policy)
    o["draft_policy"] = tiering_services.create_policy(
        director, "默认客户分级", CRITERIA, BY_SCORE, "score"
    )
    o["proposal"] = tiering_services.propose_change(rep_a, a, "A", f"{SECRET}理由")
    # the public pool: a customer rep A gave up (the pool is open to every salesperson)
    pooled = o["pooled"] = p.customer(rep_a, "公海里的客户")
    pool.release(rep_a, pooled, "不再跟进")
    # a notification about rep A's customer
    followup_services.notify([rep_a.pk], f"{SECRET}提醒", f"/customers/{a.pk}/", a.pk)
    o["feed_a"] = followup_services.calendar_feed(rep_a)
    o["feed_b"] = followup_services.calendar_feed(rep_b)
    # an import rep A dry-ran (imports are their uploader's and the directors')
    data = xlsx([["客户名称", "联系方式"], [f"{SECRET}导入客户", "13800001111"]])
    o["batch"] = sheet_services.upload(rep_a, data, "客户.xlsx")
    # plans, targets, commissions, assignment, quotas
    o["plan"] = planning_services.save_plan(
        p.manager, today.year, {"new_customers": "5", "revenue": "100000"}, user=rep_a
    )
    quarter = periods.start_of("quarter", today)
    o["target"] = target_services.set_target(
        director, "won_amount", "quarter", quarter, "500000", team=p.east
    )
    o["rep_target"] = target_services.set_target(
        director, "won_amount", "quarter", quarter, "100000", user=rep_a
    )
    target_services.decompose(director, o["target"], "scope", "equal")
    o["part"] = o["target"].children.get(team=p.hangzhou)
    o["commission"] = incentive_services.save_plan(
        director,
        {
            "name": "销售提成方案",
            "metric": "won_amount",
            "period": "quarter",
            "mode": "whole",
            "accelerator": "1",
            "team": None,
            "active": True,
        },
        [{"from_percent": "0", "rate": "3"}],
    )
    o["quota"] = quota_services.save_quota(
        director,
        {
            "name": "技术支持工时",
            "unit": "hours",
            "kind": "allowance",
            "period": "month",
            "over_use": "approval",
            "allowance_A": "20",
            "allowance_B": "8",
            "allowance_C": "2",
        },
    )
    o["usage"] = quota_services.record_usage(rep_a, a, o["quota"], "10", note=f"{SECRET}工时")
    # rep A's API token, to be revoked by nobody else
    o["token"], _plain = api_services.create_token(rep_a, "rep A's script")
    o["delivery"] = Delivery.objects.filter(endpoint=o["endpoint"]).order_by("pk").last()
    assert o["delivery"] is not None, "the webhook queued nothing"
    # a lead waiting in rep A's team's queue (what the assignment run hands out)
    Customer.objects.bulk_create([Customer(name="待分配线索", team=p.hangzhou)])
    assignment_services.save_rule(p.manager, p.hangzhou, {"active": True}, [])
    o["today"] = today
    for role, user in s.users.items():
        if user is not None:
            _token, s.tokens[role] = api_services.create_token(user, "matrix")
    for value in o.values():
        if hasattr(value, "refresh_from_db") and getattr(value, "pk", None):
            value.refresh_from_db()
    return s


class ScenarioDB:
    """rep A's world, written once for a module inside a transaction that is rolled back at the
    end; each test runs in a savepoint of it (pytest-django's `db`)."""

    def __init__(self, django_db_blocker):
        self.blocker = django_db_blocker

    def __enter__(self) -> Scenario:
        self.blocker.unblock()
        self.settings = override_settings(**TEST_SETTINGS)
        self.settings.enable()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        try:
            return build()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.settings.disable()
        self.blocker.restore()


def client_for(s: Scenario, role: str) -> Client:
    """A signed-in client of the role, one per role and test (a test's sessions are rolled back
    with it)."""
    clients = s.__dict__.setdefault("clients", {})
    if role not in clients:
        client = Client()
        if s.users[role] is not None:
            client.force_login(s.users[role])
        clients[role] = client
    return clients[role]


def api_client_for(s: Scenario, role: str) -> Client:
    if role == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Bearer {s.tokens[role]}"})


# --- what a response shows ------------------------------------------------------------------
def text_of(response) -> str:
    """Everything a person could read in the response: the decoded body, the cells of a
    spreadsheet, the text of a PDF, the headers (a file name names its content)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    if body[:2] == b"PK" and ("sheet" in kind or "excel" in kind or "zip" in kind):
        return headers + "\n" + xlsx_text(body)
    if body[:5] == b"%PDF-":
        out = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True)
        return headers + "\n" + out.stdout.decode()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return headers + "\n" + body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"unreadable body ({kind})")


def xlsx_text(data: bytes) -> str:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = io.StringIO()
    writer = csv.writer(out)
    for name in book.sheet_names:
        out.write(f"## {name}\n")
        writer.writerows(book.get_sheet_by_name(name).to_python())
    return out.getvalue()


# --- did anything change ----------------------------------------------------------------------
def _kehu_models():
    return [m for m in apps.get_models() if m.__module__.startswith("kehu.")]


STAMPS = {"last_login", "last_used_at"}


def fingerprint() -> dict:
    """Every row of every table of the project (the scenario is small): a write anywhere shows."""
    out = {}
    for model in _kehu_models():
        # a sign-in stamps last_login, a token's use last_used_at: not changes to the data
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in STAMPS]
        rows = model._default_manager.order_by("pk").values_list(*fields)
        out[model._meta.label] = [tuple(str(v) for v in row) for row in rows]
    return out


def changes(before: dict, after: dict) -> list[str]:
    """The tables whose rows differ, each with a row that is new or changed."""
    out = []
    for label, rows in after.items():
        if rows != before.get(label):
            new = sorted(set(rows) - set(before.get(label, [])))
            gone = sorted(set(before.get(label, [])) - set(rows))
            out.append(f"{label}: +{new[:1]} -{gone[:1]}")
    return out


__all__ = [
    "BOSSES",
    "CHANGES_A",
    "CUSTOMER_NAME",
    "MANAGERS",
    "ROLES",
    "SECRET",
    "SEES_A",
    "SIGNED_IN",
    "Scenario",
    "ScenarioDB",
    "api_client_for",
    "build",
    "changes",
    "client_for",
    "fingerprint",
    "text_of",
]


def assert_rules_cover(found: dict, rules: dict, what: str) -> None:
    """Every endpoint found (name → where) has a rule, and every rule an endpoint: a new URL or
    API operation without a rule fails here, naming it."""
    missing = sorted(f"{key} ({found[key]})" for key in found if key not in rules)
    assert not missing, f"{what} with no rule in the access matrix: " + ", ".join(missing)
    stale = sorted(set(rules) - set(found))
    assert not stale, f"rules for {what} that no longer exist: " + ", ".join(stale)
