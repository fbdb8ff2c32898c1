"""Keyset pages, compared with a plain sort of the same rows, NULLs included."""

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from kehu.core.models import AuditEvent
from kehu.core.paging import keyset_page


class KeysetPagingTests(TestCase):
    """AuditEvent has a nullable integer column (customer_id) to page over."""

    @settings(max_examples=30, deadline=None)
    @given(
        values=st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=25),
        size=st.integers(1, 6),
        ascending=st.booleans(),
    )
    def test_pages_walk_every_row_once_in_order(self, values, size, ascending):
        AuditEvent.objects.all().delete()
        for v in values:
            AuditEvent.objects.create(
                action="create", model="x", object_id=1, object_repr="x", customer_id=v
            )
        qs = AuditEvent.objects.all()
        expected = list(
            qs.order_by(*(["customer_id", "pk"] if ascending else ["-customer_id", "-pk"]))
        )

        seen, page = [], keyset_page(qs, "customer_id", ascending, size)
        pages = [page]
        seen += page.rows
        while page.has_next:
            page = keyset_page(qs, "customer_id", ascending, size, after=page.next_cursor)
            pages.append(page)
            seen += page.rows
        assert [e.pk for e in seen] == [e.pk for e in expected]

        # and backwards from the last page gives the previous pages back
        for earlier, later in zip(reversed(pages[:-1]), reversed(pages[1:]), strict=True):
            back = keyset_page(qs, "customer_id", ascending, size, before=later.prev_cursor)
            assert [e.pk for e in back.rows] == [e.pk for e in earlier.rows]

    def test_a_garbled_cursor_starts_from_the_top(self):
        AuditEvent.objects.create(action="create", model="x", object_id=1, object_repr="x")
        page = keyset_page(AuditEvent.objects.all(), "pk", True, 10, after="%%%not-a-cursor")
        assert len(page.rows) == 1
