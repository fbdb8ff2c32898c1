"""Bad input on the main forms (hypothesis): arbitrary text and unicode, NUL bytes, huge and
odd numbers, impossible dates, unknown choices and ids, posted through the test client as the
people who use each form. Whatever comes in: never a 5xx (the test client re-raises a view's
exception), and a rejected submit changes nothing and says why — each error is attached to a
named field of the form (or to the form as a whole) and shown on the page, or, for the forms that
answer with a redirect, a message of error level is shown on the next page.

Examples per form: 30 by default (derandomized, so CI runs the same ones); KEHU_FUZZ_EXAMPLES=500
(`make fuzz`) runs more, randomly."""

from decimal import Decimal

import pytest
from django.contrib.messages import constants as message_levels
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from kehu.customers.models import Contact, Customer
from kehu.followups.models import Interaction
from kehu.pipeline.models import Deal, Stage
from kehu.pipeline.services import create_deal, ensure_default_stages
from kehu.targets import services as target_services
from kehu.targets.models import Target
from tests.conftest import client_for
from tests.fuzzing import fuzz

# what people type, paste and what attackers send; no lone surrogates (not encodable in a POST)
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
odd = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "0",
        "-1",
        "-0",
        "9" * 40,
        "-" + "9" * 40,
        "1e999",
        "1e-999",
        "NaN",
        "Infinity",
        "-inf",
        "１２３",
        "1.5万",
        "12,000元",
        "0.000000001",
        "999999999999999999999.99",
        "2024-02-30",
        "2023-13-01",
        "0000-00-00",
        "9999-12-31",
        "0001-01-01",
        "99999-01-01",
        "2023年10月15日",
        "2024-01-01T25:61",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%s%s%(x)s{0}",
        "x" * 6000,
        "\u202e\u200b\ufeff",
        "😀" * 50,
    ]
)
big_int = st.integers(min_value=-(10**30), max_value=10**30).map(str)
number = st.decimals(allow_nan=True, allow_infinity=True).map(str)
junk = st.one_of(text, odd, big_int, number)


def field(valid):
    """A field's value: left out, a valid one, or junk."""
    return st.one_of(st.none(), st.just(valid) if isinstance(valid, str) else valid, junk)


def post_data(fields: dict):
    """A form's POST: each field drawn from its strategy, left-out fields dropped; the CSRF
    token a browser always sends (unchecked by the test client) keeps it a submitted form."""
    return st.fixed_dictionaries(fields).map(
        lambda d: {"csrfmiddlewaretoken": "x" * 64} | {k: v for k, v in d.items() if v is not None}
    )


def refused_nul(response, data) -> bool:
    """A NUL character anywhere is refused before the view (kehu.core.nul): a 400 saying so."""
    if response.status_code != 400:
        return False
    assert any("\x00" in k or "\x00" in v for k, v in data.items()), response.content[:200]
    assert response.content.strip()
    return True


def form_errors(response, *names) -> list[tuple[str, str]]:
    context = response.context
    out = []
    for name in names:
        form = context.get(name) if context is not None else None
        if form is None:
            continue
        for field_name, messages in form.errors.items():
            assert field_name == "__all__" or field_name in form.fields, field_name
            out.extend((field_name, m) for m in messages)
    return out


def assert_explained(response, *form_names):
    """A re-rendered form: at least one error, each attached to a field (or the form), each
    shown on the page."""
    assert response.status_code == 200, response.status_code
    errors = form_errors(response, *form_names)
    assert errors, "rejected without saying why"
    page = response.content.decode()
    for field_name, message in errors:
        assert escape(message) in page, f"{field_name}: {message!r} is not shown"


def error_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == message_levels.ERROR]


@pytest.fixture
def book(people):
    ensure_default_stages()
    customer = people.customer(people.rep, "杭州云帆科技有限公司")
    contact = Contact.objects.create(customer=customer, name="李雷", phone="13812345678")
    deal = create_deal(people.rep, customer, {"title": "年度采购", "amount": "50000"})
    return {"customer": customer, "contact": contact, "deal": deal}


# --- customers -----------------------------------------------------------------------------
def customer_fields(people):
    return {
        "name": field(st.sampled_from(["宁波海天塑机有限公司", "Acme", "  苏州 (新) 公司  "])),
        "kind": field(st.sampled_from(["company", "person", "government"])),
        "industry": field(str(people.industry.pk)),
        "province": field("浙江"),
        "city": field("杭州"),
        "size": field(st.sampled_from(["small", "medium", "large", "1-50"])),
        "address": field("西湖区文三路 1 号"),
        "channel": field(str(people.channel.pk)),
        "status": field(st.sampled_from(["lead", "prospect", "customer", "lost"])),
        "owner": field(str(people.rep.pk)),
        "core_needs": field("CRM"),
        "product_preferences": field("云服务"),
        "annual_budget": field(st.sampled_from(["100000", "1.5", "-5"])),
        "notes": field("备注"),
        "tags": field(str(people.urgent.pk)),
        "collaborators": field(str(people.rep3.pk)),
        "confirm_duplicate": field("on"),
    }


def test_customer_form(people):
    client = client_for(people.rep)
    contact = {
        "contact-name": field("王芳"),
        "contact-phone": field(st.sampled_from(["+86 138-1234-5678", "13812345678", "12"])),
        "contact-email": field(st.sampled_from(["a@example.com", "not-an-email"])),
        "contact-title": field("经理"),
    }

    @fuzz
    @given(post_data({**customer_fields(people), **contact}))
    def check(data):
        before = Customer.objects.count()
        response = client.post("/customers/new/", data)
        if refused_nul(response, data):
            assert Customer.objects.count() == before
            return
        if response.status_code == 302:
            assert Customer.objects.count() == before + 1
        else:
            assert Customer.objects.count() == before
            assert_explained(response, "form", "contact_form")

    check()


def test_customer_edit_form(people, book):
    client = client_for(people.rep)
    customer = book["customer"]

    @fuzz
    @given(post_data({**customer_fields(people), "version": field(st.just("1"))}))
    def check(data):
        current = Customer.objects.get(pk=customer.pk)
        data.setdefault("version", str(current.version))
        response = client.post(f"/customers/{customer.pk}/edit/", data)
        if refused_nul(response, data):
            assert Customer.objects.get(pk=customer.pk).version == current.version
            return
        after = Customer.objects.get(pk=customer.pk)
        if response.status_code == 302:
            assert after.version == current.version + 1 or after.updated_at == current.updated_at
        else:
            assert after.version == current.version
            assert after.updated_at == current.updated_at
            assert_explained(response, "form")

    check()


def test_contact_form(people, book):
    client = client_for(people.rep)
    customer = book["customer"]
    fields = {
        "name": field("韩梅梅"),
        "title": field("采购经理"),
        "phone": field(st.sampled_from(["0571-8888 1234", "+86 139 0000 1111", "abc"])),
        "phone2": field("13900001111"),
        "email": field(st.sampled_from(["hmm@example.cn", "@@", "a@b"])),
        "wechat": field("hmm_wx"),
        "is_primary": field("on"),
        "notes": field("周一上午联系"),
    }

    @fuzz
    @given(post_data(fields))
    def check(data):
        before = Contact.objects.filter(customer=customer).count()
        response = client.post(f"/customers/{customer.pk}/contacts/new/", data)
        if refused_nul(response, data):
            assert Contact.objects.filter(customer=customer).count() == before
            return
        if response.status_code == 302:
            assert Contact.objects.filter(customer=customer).count() == before + 1
        else:
            assert Contact.objects.filter(customer=customer).count() == before
            assert_explained(response, "form")

    check()


# --- the interaction log -------------------------------------------------------------------
def test_interaction_log_form(people, book):
    client = client_for(people.rep)
    customer, contact, deal = book["customer"], book["contact"], book["deal"]
    fields = {
        "method": field(st.sampled_from(["phone", "visit", "wechat", "fax"])),
        "at": field(st.sampled_from(["2026-03-02T10:30", "2026-03-02 10:30", "yesterday"])),
        "content": field("电话沟通了报价"),
        "feedback": field("价格偏高"),
        "next_step": field("发送方案"),
        "next_on": field(st.sampled_from(["2026-12-31", "2026-02-29"])),
        "contact": field(str(contact.pk)),
        "followup": field(st.sampled_from(["1", "abc"])),
        "deal": field(str(deal.pk)),
    }

    @fuzz
    @given(post_data(fields))
    def check(data):
        before = Interaction.objects.filter(customer=customer).count()
        response = client.post(f"/followups/customers/{customer.pk}/log/", data, follow=True)
        if refused_nul(response, data):
            assert Interaction.objects.filter(customer=customer).count() == before
            return
        assert response.status_code == 200
        after = Interaction.objects.filter(customer=customer).count()
        if after == before:
            errors = error_messages(response)
            assert errors, "rejected without saying why"
            assert not any("None" in e for e in errors), errors  # every field named
        else:
            assert after == before + 1
            assert not error_messages(response)

    check()


# --- deals ---------------------------------------------------------------------------------
def deal_fields(people):
    stages = [str(pk) for pk in Stage.objects.values_list("pk", flat=True)]
    return {
        "title": field("二期扩容"),
        "amount": field(st.sampled_from(["120000", "1.5万", "0.01", "-3"])),
        "expected_close": field(st.sampled_from(["2026-06-30", "2026-06-31", "30/06/2026"])),
        "stage": field(st.sampled_from(stages)),
        "probability": field(st.sampled_from(["0", "55", "100", "101", "-1"])),
        "channel": field(str(people.channel.pk)),
        "products": field("云服务器"),
        "competitor": field("某友商"),
        "lost_reason": field("预算不足"),
    }


def test_deal_form(people, book):
    client = client_for(people.rep)
    customer = book["customer"]

    @fuzz
    @given(post_data(deal_fields(people)))
    def check(data):
        before = Deal.objects.count()
        response = client.post(f"/deals/new/{customer.pk}/", data)
        if refused_nul(response, data):
            assert Deal.objects.count() == before
            return
        if response.status_code == 302:
            assert Deal.objects.count() == before + 1
        else:
            assert Deal.objects.count() == before
            assert_explained(response, "form")

    check()


def test_deal_edit_form(people, book):
    client = client_for(people.rep)
    deal = book["deal"]
    fields = deal_fields(people)
    del fields["stage"]  # moves go through the board

    @fuzz
    @given(post_data({**fields, "version": field(st.sampled_from(["1", ""]))}))
    def check(data):
        current = Deal.objects.get(pk=deal.pk)
        response = client.post(f"/deals/{deal.pk}/", data, follow=True)
        if refused_nul(response, data):
            assert Deal.objects.get(pk=deal.pk).version == current.version
            return
        assert response.status_code == 200
        after = Deal.objects.get(pk=deal.pk)
        if after.version == current.version:
            if response.redirect_chain:  # "saved" with nothing to change, or refused as stale
                return
            errors = form_errors(response, "form")
            assert errors or error_messages(response), "rejected without saying why"
            page = response.content.decode()
            for field_name, message in errors:
                assert escape(message) in page, f"{field_name}: {message!r} is not shown"

    check()


# --- targets -------------------------------------------------------------------------------
def test_target_form(people):
    client = client_for(people.director)
    fields = {
        "metric": field(st.sampled_from(["won_amount", "new_customers", "collections", "x"])),
        "period": field(st.sampled_from(["year", "quarter", "month", "week"])),
        "at": field(st.sampled_from(["2026", "2026-Q2", "2026-04", "2026-Q9", "0-0"])),
        "amount": field(st.sampled_from(["1000000", "1.5万", "12,000元", "0", "-1"])),
        "user": field(str(people.rep.pk)),
        "team": field(str(people.east.pk)),
        "reason": field("年度规划"),
    }

    @fuzz
    @given(post_data(fields))
    def check(data):
        before = list(Target.objects.order_by("pk").values_list("pk", "amount", "version"))
        response = client.post("/targets/set/", data, follow=True)
        if refused_nul(response, data):
            assert (
                list(Target.objects.order_by("pk").values_list("pk", "amount", "version")) == before
            )
            return
        assert response.status_code in (200, 404)
        after = list(Target.objects.order_by("pk").values_list("pk", "amount", "version"))
        if response.status_code == 404:  # a scope that is not there (or not the director's)
            assert after == before
        elif after == before and not any(
            "Target saved" in str(m) or "目标已保存" in str(m) for m in response.context["messages"]
        ):
            assert error_messages(response), "rejected without saying why"

    check()


def test_target_part_form(people):
    company = target_services.set_target(
        people.director, Target.Metric.WON_AMOUNT, "year", _this_year(), "1000000"
    )
    (part,) = target_services.decompose(people.director, company, "scope", Target.Method.EQUAL)
    client = client_for(people.director)
    fields = {
        "amount": field(st.sampled_from(["500000", "1.5万", "2000000", "-1"])),
        "rebalance": field("on"),
        "reason": field("调整"),
        "version": field(st.sampled_from(["1", "2"])),
    }

    @fuzz
    @given(post_data(fields))
    def check(data):
        before = Target.objects.get(pk=part.pk).amount
        response = client.post(f"/targets/{part.pk}/part/", data, follow=True)
        if refused_nul(response, data):
            assert Target.objects.get(pk=part.pk).amount == before
            return
        assert response.status_code == 200
        if Target.objects.get(pk=part.pk).amount == before:
            saved = [m for m in response.context["messages"] if m.level == message_levels.SUCCESS]
            assert saved or error_messages(response), "rejected without saying why"
        assert Target.objects.get(pk=company.pk).amount == Decimal("1000000.00")

    check()


def _this_year():
    from django.utils import timezone

    return timezone.localdate().replace(month=1, day=1)


# --- what the fuzzing found: each a 500 (or an unexplained refusal) before it was fixed -------
def test_a_deal_edit_with_a_damaged_version_is_refused_as_stale(people, book):
    deal = book["deal"]
    response = client_for(people.rep).post(
        f"/deals/{deal.pk}/",
        {"title": "改过的标题", "amount": "1000", "version": "1'"},
        follow=True,
    )
    assert response.status_code == 200
    assert error_messages(response)
    assert Deal.objects.get(pk=deal.pk).title == "年度采购"


def test_a_customer_edit_with_a_damaged_version_says_why(people, book):
    customer = book["customer"]
    response = client_for(people.rep).post(
        f"/customers/{customer.pk}/edit/", {"name": "改名公司", "status": "lead", "version": "x"}
    )
    assert_explained(response, "form")
    assert Customer.objects.get(pk=customer.pk).name == "杭州云帆科技有限公司"


def test_a_rejected_interaction_names_its_fields(people, book):
    customer = book["customer"]
    response = client_for(people.rep).post(
        f"/followups/customers/{customer.pk}/log/",
        {"method": "phone", "content": "电话", "followup": "abc", "deal": "x"},
        follow=True,
    )
    (message,) = error_messages(response)
    assert "None" not in message
    assert not Interaction.objects.filter(customer=customer).exists()


def test_a_target_for_a_scope_that_is_not_a_number_is_not_found(people):
    client = client_for(people.director)
    for scope in ("user", "team"):
        response = client.post(
            "/targets/set/?metric=won_amount&period=year&at=2026",
            {"amount": "1000", scope: "abc"},
        )
        assert response.status_code == 404
    assert not Target.objects.exists()


def test_a_target_part_with_a_damaged_version_is_refused_as_stale(people):
    company = target_services.set_target(
        people.director, Target.Metric.WON_AMOUNT, "year", _this_year(), "1000000"
    )
    (part,) = target_services.decompose(people.director, company, "scope", Target.Method.EQUAL)
    response = client_for(people.director).post(
        f"/targets/{part.pk}/part/", {"amount": "5", "version": "v2"}, follow=True
    )
    assert error_messages(response)
    assert Target.objects.get(pk=part.pk).amount == part.amount


def test_nul_characters_in_values_views_read_themselves_are_refused(people, book):
    """Reasons and notes read straight from the POST (no form field to refuse NUL) reached
    PostgreSQL, which cannot store NUL in text: a 500. Now a 400 saying why, nothing written."""
    client = client_for(people.director)
    response = client.post(
        "/targets/set/?metric=won_amount&period=year&at=2026",
        {"amount": "1000", "reason": "年度\x00规划"},
    )
    assert response.status_code == 400
    assert response.content.strip()
    assert not Target.objects.exists()
    lost = Stage.objects.get(kind=Stage.Kind.LOST)
    response = client.post(
        f"/deals/{book['deal'].pk}/move/",
        {"stage": lost.pk, "lost_reason": "预算\x00不足"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert Deal.objects.get(pk=book["deal"].pk).stage.kind == Stage.Kind.OPEN


def test_a_tag_id_beyond_64_bits_is_an_invalid_choice(people, book):
    customer = book["customer"]
    response = client_for(people.rep).post(
        f"/customers/{customer.pk}/edit/",
        {
            "name": customer.name,
            "status": "lead",
            "tags": "1" + "0" * 30,
            "collaborators": "9" * 25,
        },
    )
    assert_explained(response, "form")
    assert {"tags", "collaborators"} <= set(response.context["form"].errors)
