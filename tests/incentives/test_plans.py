"""Saving commission plans: directors and admins only, every problem named, stale forms
refused, the bands replaced as a whole."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.accounts.access import AccessDenied
from kehu.incentives import services
from kehu.incentives.models import CommissionBand

from .conftest import TIERED, plan_data


def test_director_saves_a_plan_with_its_bands(people):
    plan = services.save_plan(
        people.director,
        plan_data(accelerator="1.2", cap_amount="50,000", cap_percent="150"),
        TIERED,
    )
    assert (plan.accelerator, plan.cap_amount, plan.cap_percent) == (
        Decimal("1.20"),
        Decimal("50000.00"),
        Decimal("150.0"),
    )
    assert [(b.from_percent, b.rate) for b in plan.bands.all()] == [
        (Decimal("0.0"), Decimal("0.00")),
        (Decimal("80.0"), Decimal("3.00")),
        (Decimal("100.0"), Decimal("5.00")),
    ]
    assert plan.terms().bands[1].rate == Decimal(3)


@pytest.mark.parametrize("who", ["rep", "manager", "viewer"])
def test_only_directors_and_admins_save_plans(people, who):
    with pytest.raises(AccessDenied):
        services.save_plan(getattr(people, who), plan_data(), TIERED)
    services.save_plan(people.admin, plan_data(), TIERED)


def test_a_falling_rate_is_refused_naming_the_band(people):
    bands = [*TIERED[:2], {"from_percent": "100", "rate": "2"}]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.save_plan(people.director, plan_data(), bands)
    errors = caught.value.message_dict
    assert list(errors) == ["band 3: rate"]
    assert "Band 3" in errors["band 3: rate"][0]
    assert not CommissionBand.objects.exists()


def test_bad_numbers_are_named(people):
    bands = [{"from_percent": "0", "rate": "abc"}, {"from_percent": "", "rate": "3"}]
    with pytest.raises(ValidationError) as caught:
        services.save_plan(people.director, plan_data(name="", cap_amount="-1"), bands)
    errors = caught.value.message_dict
    assert set(errors) >= {"name", "band 1: rate", "band 2: from", "cap_amount"}


def test_commission_is_on_money_not_on_a_count_of_customers(people):
    with pytest.raises(ValidationError) as caught:
        services.save_plan(people.director, plan_data(metric="new_customers"), TIERED)
    assert "metric" in caught.value.message_dict


def test_edit_replaces_the_bands_and_refuses_a_stale_form(people, plan):
    edited = services.save_plan(
        people.director,
        plan_data(mode="marginal"),
        [{"from_percent": "90", "rate": "4"}, {}],
        plan=plan,
        version=plan.version,
    )
    assert edited.version == plan.version + 1 and edited.mode == "marginal"
    assert [(b.from_percent, b.rate) for b in edited.bands.all()] == [
        (Decimal("90.0"), Decimal("4.00"))
    ]
    with translation.override("en"), pytest.raises(ValidationError, match="Someone saved"):
        services.save_plan(people.director, plan_data(), TIERED, plan=plan, version=plan.version)
