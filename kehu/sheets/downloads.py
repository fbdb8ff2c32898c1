"""A list page offered as a download: the same URL with `?format=xlsx` or `?format=csv`
returns every row its filters select, written by kehu.sheets.export."""

from django.http import HttpResponse
from django.utils import timezone

from kehu.sheets import export

FORMATS = ("xlsx", "csv")


def wanted(request) -> bool:
    return request.GET.get("format") in FORMATS


def respond(request, title: str, columns, rows) -> HttpResponse:
    """The sheet as .xlsx or CSV with a UTF-8 BOM, named after the page and today's date."""
    if request.GET.get("format") == "csv":
        return export.csv_response(_name(title), columns, rows)
    return export.xlsx_response(_name(title), title, columns, rows)


def respond_book(request, title: str, sheets) -> HttpResponse:
    """A page of a few tables, each (sheet title, columns, rows): .xlsx with a sheet each; CSV
    (one table only) with the first, the page's main table."""
    if request.GET.get("format") == "csv":
        _sheet, columns, rows = sheets[0]
        return export.csv_response(_name(title), columns, rows)
    return export.xlsx_book_response(_name(title), sheets)


def _name(title: str) -> str:
    return f"{title}-{timezone.localdate():%Y%m%d}"


def query_without_format(request) -> str:
    """The page's query string minus the format: the export links add their own."""
    query = request.GET.copy()
    query.pop("format", None)
    return query.urlencode()


def verbose(model, field: str) -> str:
    """A field's label (its verbose_name, translated) for a sheet's header."""
    return str(model._meta.get_field(field).verbose_name)


def labels(choices) -> tuple[str, ...]:
    """The labels of (value, label) choices: a drop-down's values."""
    return tuple(str(label) for _value, label in choices)
