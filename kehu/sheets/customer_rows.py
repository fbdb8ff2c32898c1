"""Reading one row of a customer sheet into the values Kehu stores, with every problem named
by its column. Lookups (owners, coded values) are built once per import, not per row."""

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts import access
from kehu.core.text import (
    REGION_PREFIXES,
    clean_company_name,
    clean_text,
    is_valid_email,
    is_valid_phone,
    name_key,
    normalize_email,
    normalize_phone,
)
from kehu.customers.models import Customer

from . import parse
from .kinds import CUSTOMERS, IGNORE
from .reader import header_unit

CUSTOMER_FIELDS = [
    "name",
    "kind",
    "industry",
    "province",
    "city",
    "size",
    "address",
    "channel",
    "status",
    "tier",
    "owner",
    "core_needs",
    "product_preferences",
    "annual_budget",
    "cooperation_amount",
    "last_contact_at",
    "satisfaction",
    "notes",
]
CONTACT_FIELDS = ["contact_name", "contact_title", "phone", "email", "wechat"]

_EXTRA_WORDS = {
    "kind": {"公司": "company", "企业": "company", "单位": "company", "个人": "person"},
    "status": {
        "潜在客户": "lead",
        "线索": "lead",
        "新线索": "lead",
        "意向客户": "prospect",
        "意向": "prospect",
        "商机": "prospect",
        "成交客户": "customer",
        "已成交": "customer",
        "成交": "customer",
        "老客户": "customer",
        "合作中": "customer",
        "已流失": "churned",
        "流失客户": "churned",
    },
    "size": {
        "小微": "micro",
        "小型": "small",
        "中型": "medium",
        "大型": "large",
        "超大型": "enterprise",
    },
}


def _options(key: str, choices) -> dict[str, str]:
    """Every way to write a coded value: its code, its label in both languages."""
    table = {}
    for value, label in choices:
        table[value.lower()] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                table[clean_text(str(label)).lower()] = value
    table.update(_EXTRA_WORDS.get(key, {}))
    return table


def _size_from_staff(count: int) -> str:
    for limit, size in ((20, "micro"), (100, "small"), (500, "medium"), (1000, "large")):
        if count < limit:
            return size
    return "enterprise"


_PROVINCE_RE = re.compile(
    "^("
    + "|".join(re.escape(p) for p in REGION_PREFIXES)
    + r")(省|市|自治区|特别行政区)?[\s/\-·]*(.*)$"
)


def split_region(value: str) -> tuple[str, str]:
    """浙江省杭州市 / 浙江 杭州 / 浙江/杭州 → ("浙江", "杭州"); a lone city stays a city."""
    value = clean_text(value)
    m = _PROVINCE_RE.match(value)
    if not m or not m[3]:
        return "", value
    city = m[3].strip(" /-·")
    if city.endswith("市") and len(city) > 2:
        city = city[:-1]
    return m[1], city


@dataclass
class RowProblem:
    column: str  # the header as typed in the file
    message: str


@dataclass
class ParsedRow:
    number: int  # the row number a spreadsheet shows (1-based)
    values: dict = field(default_factory=dict)  # customer field → value (blank cells absent)
    contact: dict = field(default_factory=dict)  # contact field → value
    tags: list = field(default_factory=list)
    key_id: int | None = None
    problems: list = field(default_factory=list)
    parse_problems: int = 0  # the first problems are the cells'; matching adds the rest

    @property
    def name(self) -> str:
        return self.values.get("name", "")

    @property
    def name_key(self) -> str:
        """The duplicate key of the name, computed once (matching and writing both need it)."""
        if "_key" not in self.__dict__:
            self.__dict__["_key"] = name_key(self.name) if self.name else ""
        return self.__dict__["_key"]


class CustomerRowReader:
    """Built once per import for an actor and a mapping; `read(number, cells)` per row."""

    def __init__(self, actor, mapping: dict):
        self.actor = actor
        self.headers: list[str] = mapping["headers"]
        self.fields: list[str | None] = mapping["fields"]
        self.columns = [
            (i, f, self.headers[i] if i < len(self.headers) else "")
            for i, f in enumerate(self.fields)
            if f and f != IGNORE
        ]
        mapped = {f for _i, f, _h in self.columns}
        self.split_region = "city" in mapped and "province" not in mapped
        self.units = {
            f: header_unit(self.headers[i]) for i, f, _h in self.columns if f in MONEY_FIELDS
        }
        self.options = {
            "kind": _options("kind", Customer.Kind.choices),
            "status": _options("status", Customer.Status.choices),
            "size": _options("size", Customer.Size.choices),
        }
        self.can_set_tier = actor.sees_everything
        self._owners = None
        self.assignable: set[int] = set()
        self.can_reassign = access.can_reassign(actor)
        self.max_length = {c.key: c.max_length for c in CUSTOMERS.columns if c.max_length}
        self.readers = [
            (i, header, *self._reader(f), {}) for i, f, header in self.columns
        ]  # (index, header, parse, target, key, memo)

    # owners: by login or by full name, among active people; whether the actor may assign to
    # them is checked against what the row changes (an unchanged owner is never an error)
    def owners(self) -> dict[str, object]:
        if self._owners is None:
            from kehu.accounts.models import User

            table: dict[str, object] = {}
            names: dict[str, list] = {}
            for user in User.objects.filter(is_active=True).only(
                "id", "username", "name", "team_id"
            ):
                table[user.username.lower()] = user
                if user.name:
                    names.setdefault(user.name.lower(), []).append(user)
            for name, users in names.items():
                table.setdefault(name, users[0] if len(users) == 1 else None)
            self._owners = table
            self.assignable = set(access.assignable_owners(self.actor).values_list("pk", flat=True))
        return self._owners

    def read(self, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number)
        values, contact = row.values, row.contact
        width = len(cells)
        for index, header, parse_cell, target, key, memo in self.readers:
            value = cells[index] if index < width else None
            if value is None:
                continue
            # a sheet repeats most of its cells (owners, tiers, dates, industries, tags): each
            # column parses a distinct cell once; 1 and 1.0 and True are told apart by class
            cell = value if value.__class__ is str else (value.__class__, value)
            try:
                result = memo.get(cell, _UNSEEN)
            except TypeError:  # not hashable
                result = cell = _UNSEEN
            if result is _UNSEEN:
                result = _parse_cell(parse_cell, value)
                if len(memo) < MEMO_LIMIT and cell is not _UNSEEN:
                    memo[cell] = result
            if result is _BLANK:
                continue
            if result.__class__ is _Refused:
                row.problems.append(RowProblem(header, result.message))
            elif target is _VALUES:
                values[key] = result
            elif target is _CONTACT:
                contact[key] = result
            else:
                target(row, result)
        if "name" not in values and row.key_id is None:
            row.problems.append(
                RowProblem(str(CUSTOMERS.column("name").label), _("Enter the customer name."))
            )
        row.parse_problems = len(row.problems)
        return row

    # one reader per mapped column, chosen once (a sheet has 100,000 rows and a dozen columns):
    # (parse: cell → value, or ValueError with the message; where the value goes; its key)
    def _reader(self, key: str) -> tuple:
        special = {
            "id": (lambda value: parse.parse_int(value, low=1), _set_key_id),
            "name": (self._parse_name, _VALUES),
            "size": (self._parse_size, _VALUES),
            "tier": (lambda value: parse.parse_tier(value, tuple(Customer.TIERS)), _VALUES),
            "owner": (self._parse_owner, _VALUES),
            "last_contact_at": (parse.parse_datetime, _VALUES),
            "satisfaction": (lambda value: parse.parse_int(value, low=1, high=5), _VALUES),
            "tags": (lambda value: [t[:30] for t in parse.split_list(value)], _set_tags),
            "phone": (_parse_phone, _CONTACT),
            "email": (_parse_email, _CONTACT),
        }
        if key in special:
            return (*special[key], key)
        if key in ("kind", "status"):
            options = self.options[key]
            return (lambda value: parse.choice(value, options)), _VALUES, key
        if key in ("core_needs", "notes"):  # kept as typed, line breaks included
            return (
                (lambda value: value.strip() if isinstance(value, str) else parse.text(value)),
                _VALUES,
                key,
            )
        if key in MONEY_FIELDS:
            wan = "万" in self.units.get(key, "")
            return (lambda value: parse.parse_amount(value, unit_wan=wan)), _VALUES, key
        if key == "city" and self.split_region:
            return self._parse_region, _set_region, key
        return self._text_parser(key), _CONTACT if key in CONTACT_FIELDS else _VALUES, key

    def _text_parser(self, key: str):
        """A plain text column (industry, contact name …): cleaned, within its length."""
        limit = self.max_length.get(key)
        clean = clean_text

        def read_text(value):
            text = clean(value) if value.__class__ is str else parse.text(value)
            if limit and len(text) > limit:
                self._text(key, text)  # raises
            return text

        return read_text

    def _parse_name(self, value):
        # clean_company_name cleans the text as parse.text does; other cells are made text first
        text = value if value.__class__ is str else parse.text(value)
        return self._text("name", clean_company_name(text))

    def _parse_size(self, value):
        if isinstance(value, int | float) or parse.text(value).isdigit():
            return _size_from_staff(parse.parse_int(value, low=0))
        return parse.choice(value, self.options["size"])

    def _parse_owner(self, value):
        login = parse.text(value).lower()
        owner = self.owners().get(login)
        if owner is None:
            if login in self.owners():
                raise ValueError(
                    _("Two people are called “%(name)s”: write the login instead.")
                    % {"name": parse.text(value)}
                )
            raise ValueError(_("There is nobody called “%(name)s”.") % {"name": parse.text(value)})
        return owner

    def _parse_region(self, value) -> tuple[str, str]:
        province, city = split_region(parse.text(value))
        return province, self._text("city", city)

    def _text(self, key: str, value: str) -> str:
        limit = self.max_length.get(key)
        if limit and len(value) > limit:
            raise ValueError(
                _("%(count)s characters; at most %(limit)s fit.")
                % {"count": len(value), "limit": limit}
            )
        return value


MONEY_FIELDS = ("annual_budget", "cooperation_amount")
ZERO = Decimal("0.00")

MEMO_LIMIT = 10_000  # distinct cells a column remembers (a name column has no repeats)
_VALUES, _CONTACT = "values", "contact"  # where a column's value goes (else a setter)
_UNSEEN, _BLANK = object(), object()


class _Refused:
    """A cell that does not parse: its message, remembered like a value."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def _parse_cell(parse_cell, value):
    if isinstance(value, str) and not value.strip():
        return _BLANK
    try:
        return parse_cell(value)
    except ValueError as exc:
        return _Refused(str(exc))


def _set_key_id(row: ParsedRow, value: int) -> None:
    row.key_id = value


def _set_tags(row: ParsedRow, value: list) -> None:
    row.tags = list(value)  # the remembered list is shared by every row with the same cell


def _set_region(row: ParsedRow, value: tuple) -> None:
    province, city = value
    if province:
        row.values["province"] = province
    row.values["city"] = city


def _parse_phone(value) -> str:
    raw = parse.text(value)
    phone = normalize_phone(raw)
    if not is_valid_phone(phone):
        raise ValueError(
            _(
                "“%(value)s” is not a valid phone number (mobile 1xxxxxxxxxx or landline with area code)."
            )
            % {"value": raw}
        )
    return phone


def _parse_email(value) -> str:
    email = normalize_email(parse.text(value))
    if not is_valid_email(email):
        raise ValueError(_("“%(value)s” is not a valid e-mail address.") % {"value": email})
    return email


# --- the dry run's rows, kept for the commit ---------------------------------------------------
# Parsing is a third of an import's time; the commit reads the rows the dry run parsed (the same
# file and mapping, so the same values) and only matches them again against the database as it
# is now. Plain JSON by column (each key once, not once a row): money as text, times as ISO
# text, owners by id, a blank cell as null.
ROWS_FORMAT = 2


def encode_rows(rows: list[ParsedRow]) -> bytes:
    all_values = [r.values for r in rows]
    all_contacts = [r.contact for r in rows]
    values = {k: [v.get(k) for v in all_values] for k in sorted({k for v in all_values for k in v})}
    if "owner" in values:
        values["owner"] = [None if o is None else o.pk for o in values["owner"]]
    for key in MONEY_FIELDS:
        if key in values:
            values[key] = [None if v is None else str(v) for v in values[key]]
    if "last_contact_at" in values:  # a sheet's dates repeat: each one is written once
        column = values["last_contact_at"]
        # (naive ones only: aware times at one instant in two offsets are equal, not the same)
        shown = {v: v.isoformat() for v in set(column) if v is not None and v.tzinfo is None}
        values["last_contact_at"] = [
            None if v is None else shown.get(v) or v.isoformat() for v in column
        ]
    data = {
        "format": ROWS_FORMAT,
        "numbers": [r.number for r in rows],
        "values": values,
        "contact": {
            k: [c.get(k) for c in all_contacts]
            for k in sorted({k for c in all_contacts for k in c})
        },
        "tags": [r.tags or None for r in rows],
        "key_id": [r.key_id for r in rows],
        "problems": {
            i: [[p.column, p.message] for p in r.problems[: r.parse_problems]]
            for i, r in enumerate(rows)
            if r.parse_problems
        },
        "name_key": [r.name_key for r in rows],
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 1)


_LEFT = object()  # an owner who has left since the dry run


def decode_rows(data: bytes, reader: "CustomerRowReader") -> list[ParsedRow] | None:
    """The rows `encode_rows` kept (None when they were kept in another format: read the file
    again); an owner who has left since becomes the row's problem."""
    data = json.loads(zlib.decompress(data))
    if not isinstance(data, dict) or data.get("format") != ROWS_FORMAT:
        return None
    values = data["values"]
    if "owner" in values:
        by_pk = {u.pk: u for u in reader.owners().values() if u is not None}
        values["owner"] = [None if o is None else by_pk.get(o, _LEFT) for o in values["owner"]]
    for key in MONEY_FIELDS:
        if key in values:
            values[key] = [None if v is None else Decimal(v) for v in values[key]]
    if "last_contact_at" in values:
        column = values["last_contact_at"]
        read = {v: datetime.fromisoformat(v) for v in set(column) if v is not None}
        values["last_contact_at"] = [None if v is None else read[v] for v in column]
    problems = {int(i): p for i, p in data["problems"].items()}
    owner_label = str(CUSTOMERS.column("owner").label)
    rows = []
    value_columns = list(values.items())
    contact_columns = list(data["contact"].items())
    for i, (number, tags, key_id, key) in enumerate(
        zip(data["numbers"], data["tags"], data["key_id"], data["name_key"], strict=True)
    ):
        row = ParsedRow(
            number,
            {k: column[i] for k, column in value_columns if column[i] is not None},
            {k: column[i] for k, column in contact_columns if column[i] is not None},
            tags or [],
            key_id,
        )
        if i in problems:
            row.problems = [RowProblem(c, m) for c, m in problems[i]]
            row.parse_problems = len(row.problems)
        row.__dict__["_key"] = key
        if row.values.get("owner") is _LEFT:
            del row.values["owner"]
            row.problems.append(RowProblem(owner_label, _("This person has left.")))
        rows.append(row)
    return rows
