"""What every router shares: input types that keep odd values out of the database (ids that
overflow, NUL bytes, dates of year 1), the error bodies, keyset pages and a few lookups that
turn an id in a request into an object the actor may see (or a 422 naming the field)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, create_model

from kehu.accounts import access
from kehu.core.paging import decode_cursor, keyset_page

MAX_ID = 2**53  # what JSON numbers carry exactly; well inside a BIGINT
MAX_LIMIT = 100
DEFAULT_LIMIT = 50


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refused here rather than as a 500 from the database
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def _sane_date(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("a date between the years 1900 and 2200")
    return value


def _sane_datetime(value: datetime) -> datetime:
    _sane_date(value.date())
    if timezone.is_naive(value):  # a time without a zone is Kehu's local time
        value = timezone.make_aware(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(_no_nul)]
Day = Annotated[date, AfterValidator(_sane_date)]
Moment = Annotated[datetime, AfterValidator(_sane_datetime)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


# --- error bodies ------------------------------------------------------------------------------
class Error(Schema):
    code: str
    message: str


class Invalid(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] = {}


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Invalid}


def responses(ok: Any, status: int = 200) -> dict:
    """The documented responses of an operation: its own and every error body."""
    return {status: ok, **ERRORS}


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


# --- keyset pages ------------------------------------------------------------------------------
_pages: dict = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """The page schema of `item`: {items: [...], next_cursor}."""
    if item not in _pages:
        _pages[item] = create_model(
            f"{item.__name__}Page",
            __base__=Schema,
            items=(list[item], ...),
            next_cursor=(str | None, None),
        )
    return _pages[item]


class PageParams(Schema):
    cursor: Text | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def page(qs: QuerySet, params: PageParams, column: str = "pk") -> dict:
    """Newest first: (column, id) descending, `limit` rows after the cursor. A page reads its
    rows and nothing else (no count: clients walk next_cursor until it is null)."""
    if params.cursor:
        field = None if column == "pk" else qs.model._meta.get_field(column)
        try:
            decode_cursor(params.cursor, field)
        except ValueError:
            raise invalid(
                "cursor", _("This cursor is not valid: start again from the first page.")
            ) from None
    result = keyset_page(qs, column, False, params.limit, after=params.cursor, count=False)
    return {"items": result.rows, "next_cursor": result.next_cursor}


# --- ids in requests ---------------------------------------------------------------------------
def pick(qs: QuerySet, pk: int | None, field: str):
    """The row `pk` of `qs` (the actor's choices for `field`), None for no id, or a 422."""
    if pk is None:
        return None
    found = qs.filter(pk=pk).first()
    if found is None:
        raise invalid(
            field, _("Select a valid choice. That choice is not one of the available choices.")
        )
    return found


def visible_or_404(actor, model, pk, *related):
    """A row of a customer-owned model if its customer is in the actor's visible set."""
    found = access.visible(actor, model).select_related(*related).filter(pk=pk).first()
    if found is None:
        raise Http404(_("Not found."))
    return found


def given(payload: Schema) -> dict:
    """The fields a client sent (a field left out is not a field set to blank)."""
    return payload.model_dump(exclude_unset=True)
