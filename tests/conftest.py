"""The people every test knows, built once per test:

sales (销售部)            director 王总 (sees everything), admin
├── east (华东大区)       manager 李经理
│   ├── hangzhou (杭州组) rep 张伟
│   └── shanghai (上海组) rep3 陈静
└── north (华北大区)
    └── beijing (北京组)  rep2 赵磊
viewer 周敏 (read-only, no team)
"""

import pytest
from django.test import Client

from kehu.accounts import services as account_services
from kehu.accounts.models import User
from kehu.customers import services as customer_services
from kehu.customers.models import Channel, Customer, Industry, Tag

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # a cache of the test's own (the file cache under var/ is shared by processes)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # background jobs run at once, inside the test (one test runs the real database worker)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class People:
    def __init__(self):
        t = account_services.create_team
        self.sales = t("销售部")
        self.east = t("华东大区", self.sales)
        self.hangzhou = t("杭州组", self.east)
        self.shanghai = t("上海组", self.east)
        self.north = t("华北大区", self.sales)
        self.beijing = t("北京组", self.north)
        u = account_services.create_user
        self.admin = u("admin", PASSWORD, name="管理员", role=User.Role.ADMIN)
        self.director = u(
            "director", PASSWORD, name="王总", role=User.Role.DIRECTOR, team=self.sales
        )
        self.manager = u("manager", PASSWORD, name="李经理", role=User.Role.MANAGER, team=self.east)
        self.rep = u("rep", PASSWORD, name="张伟", role=User.Role.REP, team=self.hangzhou)
        self.rep3 = u("rep3", PASSWORD, name="陈静", role=User.Role.REP, team=self.shanghai)
        self.rep2 = u("rep2", PASSWORD, name="赵磊", role=User.Role.REP, team=self.beijing)
        self.viewer = u("viewer", PASSWORD, name="周敏", role=User.Role.VIEWER)
        self.industry = Industry.objects.create(name="信息技术")
        self.channel = Channel.objects.create(name="展会")
        self.urgent = Tag.objects.create(name="需求急迫", group="需求", color="danger")
        self.price = Tag.objects.create(name="价格敏感", group="需求", color="warning")

    def customer(self, owner, name, **data):
        """A customer created through the service, as its owner would."""
        data.setdefault("industry", self.industry)
        tier = data.pop("tier", None)
        customer = customer_services.create_customer(owner, {"name": name, **data})
        if tier is not None:  # tiers come from review; tests set the starting point directly
            Customer.objects.filter(pk=customer.pk).update(tier=tier)
            customer.tier = tier
        return customer


@pytest.fixture
def people(db):
    return People()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def login():
    return client_for


@pytest.fixture
def book(people):
    """One customer per salesperson, plus one of 赵磊's (rep2) shared with 张伟 (rep)."""
    b = {
        "rep": people.customer(people.rep, "杭州云帆科技有限公司"),
        "rep3": people.customer(people.rep3, "上海海纳贸易有限公司"),
        "rep2": people.customer(people.rep2, "北京星辰网络科技有限公司"),
        "manager": people.customer(people.manager, "宁波金桥精密制造有限公司"),
        "director": people.customer(people.director, "深圳博远电子有限公司"),
        "shared": people.customer(people.rep2, "天津华信物流有限公司"),
    }
    customer_services.set_collaborators(people.rep2, b["shared"], [people.rep])
    return b


def names_on(response) -> list[str]:
    """The customer names on a list page, in the order shown."""
    return [c.name for c in response.context["page"].rows]
