from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from kehu.customers import services
from kehu.customers.models import Customer, Contact
from kehu.core.paging import keyset_page
from kehu.customers.queries import COLUMNS
from kehu.accounts import access


def test_merge_primary(people):
    a = people.customer(people.rep, "杭州云帆科技有限公司")
    b = people.customer(people.rep, "云帆科技（杭州）有限公司")
    services.add_contact(people.rep, a, {"name": "王芳"})
    services.add_contact(people.rep, b, {"name": "李强"})
    services.merge_customers(people.rep, a, b)
    print(list(Contact.objects.values_list("name", "is_primary")))


def test_keyset_all_columns(people):
    now = timezone.now()
    owners = [people.rep, people.manager, people.rep3]
    for i in range(23):
        people.customer(
            owners[i % 3], f"公司{i}号", industry=people.industry if i % 4 else None,
            channel=people.channel if i % 3 == 0 else None,
            province=["浙江", "", "上海"][i % 3],
            annual_budget=Decimal(i % 4 * 1000) if i % 5 else None,
            satisfaction=(i % 5) or None,
            last_contact_at=(now - timedelta(days=i % 4)) if i % 3 else None,
            next_followup_at=(now + timedelta(hours=i % 2)) if i % 2 else None,
        )
    Customer.objects.filter(pk__in=list(Customer.objects.values_list("pk", flat=True)[:10])).update(score=Decimal("50.5"), tier="A")
    qs = access.visible_customers(people.manager)
    bad = []
    for key, col in COLUMNS.items():
        if not col.sort:
            continue
        for asc in (True, False):
            expected = list(qs.order_by(*( [col.sort, "pk"] if asc else ["-" + col.sort, "-pk"])).values_list("pk", flat=True))
            seen = []
            page = keyset_page(qs, col.sort, asc, 4)
            seen += [r.pk for r in page.rows]
            while page.has_next:
                page = keyset_page(qs, col.sort, asc, 4, after=page.next_cursor)
                seen += [r.pk for r in page.rows]
            if seen != expected:
                bad.append((key, asc, seen, expected))
    assert not bad, bad
