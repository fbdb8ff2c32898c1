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
        self.readers = [(i, header, self._reader(f)) for i, f, header in self.columns]

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
        width = len(cells)
        for index, header, read_cell in self.readers:
            value = cells[index] if index < width else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                read_cell(row, value)
            except ValueError as exc:
                row.problems.append(RowProblem(header, str(exc)))
        if "name" not in row.values and row.key_id is None:
            row.problems.append(
                RowProblem(str(CUSTOMERS.column("name").label), _("Enter the customer name."))
            )
        row.parse_problems = len(row.problems)
        return row

    # one reader per mapped column, chosen once (a sheet has 100,000 rows and a dozen columns)
    def _reader(self, key: str):
        special = {
            "id": self._read_id,
            "name": self._read_name,
            "size": self._read_size,
            "tier": self._read_tier,
            "owner": self._read_owner,
            "last_contact_at": self._read_datetime,
            "satisfaction": self._read_satisfaction,
            "tags": self._read_tags,
            "phone": self._read_phone,
            "email": self._read_email,
        }
        if key in special:
            return special[key]
        if key in ("kind", "status"):
            return lambda row, value: row.values.__setitem__(
                key, parse.choice(value, self.options[key])
            )
        if key in ("core_needs", "notes"):  # kept as typed, line breaks included
            return lambda row, value: row.values.__setitem__(
                key, value.strip() if isinstance(value, str) else parse.text(value)
            )
        if key in MONEY_FIELDS:
            wan = "万" in self.units.get(key, "")
            return lambda row, value: row.values.__setitem__(
                key, parse.parse_amount(value, unit_wan=wan)
            )
        if key == "city" and self.split_region:
            return self._read_city
        return self._text_reader(key, "contact" if key in CONTACT_FIELDS else "values")

    def _text_reader(self, key: str, target: str):
        """A plain text column (industry, contact name …): cleaned, within its length."""
        limit = self.max_length.get(key)
        clean = clean_text

        def read_text(row, value):
            text = clean(value) if value.__class__ is str else parse.text(value)
            if limit and len(text) > limit:
                self._text(key, text)  # raises
            getattr(row, target)[key] = text

        return read_text

    def _read_id(self, row, value):
        row.key_id = parse.parse_int(value, low=1)

    def _read_name(self, row, value):
        # clean_company_name cleans the text as parse.text does; other cells are made text first
        text = value if value.__class__ is str else parse.text(value)
        row.values["name"] = self._text("name", clean_company_name(text))

    def _read_size(self, row, value):
        if isinstance(value, int | float) or parse.text(value).isdigit():
            row.values["size"] = _size_from_staff(parse.parse_int(value, low=0))
        else:
            row.values["size"] = parse.choice(value, self.options["size"])

    def _read_tier(self, row, value):
        row.values["tier"] = parse.parse_tier(value, tuple(Customer.TIERS))

    def _read_owner(self, row, value):
        login = parse.text(value).lower()
        owner = self.owners().get(login)
        if owner is None:
            if login in self.owners():
                raise ValueError(
                    _("Two people are called “%(name)s”: write the login instead.")
                    % {"name": parse.text(value)}
                )
            raise ValueError(_("There is nobody called “%(name)s”.") % {"name": parse.text(value)})
        row.values["owner"] = owner

    def _read_datetime(self, row, value):
        row.values["last_contact_at"] = parse.parse_datetime(value)

    def _read_satisfaction(self, row, value):
        row.values["satisfaction"] = parse.parse_int(value, low=1, high=5)

    def _read_tags(self, row, value):
        row.tags = [t[:30] for t in parse.split_list(value)]

    def _read_city(self, row, value):
        province, city = split_region(parse.text(value))
        if province:
            row.values["province"] = province
        row.values["city"] = self._text("city", city)

    def _read_phone(self, row, value):
        raw = parse.text(value)
        phone = normalize_phone(raw)
        if not is_valid_phone(phone):
            raise ValueError(
                _(
                    "“%(value)s” is not a valid phone number (mobile 1xxxxxxxxxx or landline with area code)."
                )
                % {"value": raw}
            )
        row.contact["phone"] = phone

    def _read_email(self, row, value):
        email = normalize_email(parse.text(value))
        if not is_valid_email(email):
            raise ValueError(_("“%(value)s” is not a valid e-mail address.") % {"value": email})
        row.contact["email"] = email

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
    if "last_contact_at" in values:
        values["last_contact_at"] = [
            None if v is None else v.isoformat() for v in values["last_contact_at"]
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
        values["last_contact_at"] = [
            None if v is None else datetime.fromisoformat(v) for v in values["last_contact_at"]
        ]
    value_columns = list(values.items())
    contact_columns = list(data["contact"].items())
    problems = {int(i): p for i, p in data["problems"].items()}
    owner_label = str(CUSTOMERS.column("owner").label)
    rows = []
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
