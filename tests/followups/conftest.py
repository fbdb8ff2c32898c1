"""Follow-ups data: the default cadences and pool rules, and a tiered customer per rep."""

import pytest

from kehu.followups import pool, services


@pytest.fixture
def cadence(db):
    services.ensure_default_cadence()
    pool.ensure_default_rules()


@pytest.fixture
def accounts(people, cadence):
    """张伟 (rep, 杭州组) owns an A and a C customer; 赵磊 (rep2, 北京组) a B one."""
    return {
        "a": people.customer(people.rep, "杭州云帆科技有限公司", tier="A"),
        "c": people.customer(people.rep, "杭州小蚂蚁文具店", tier="C"),
        "b": people.customer(people.rep2, "北京星辰网络科技有限公司", tier="B"),
    }
