"""Cell values the way people type them in their sheets, parsed to what Kehu stores.

Pure functions on plain values (what python-calamine or the csv module gives: str, int, float,
bool, date, datetime or None). Each raises ValueError with a message for the person who typed
the cell; the importer adds the row and the column.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from kehu.core.text import clean_text, to_half_width

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (with Excel's phantom 1900-02-29)
WAN = Decimal(10000)
CENT = Decimal("0.01")
TOO_LARGE = Decimal("1e12")  # numeric(14, 2)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    """Any cell as text: 13812345678.0 (a phone typed into a number cell) → "13812345678"."""
    if value.__class__ is str:  # most cells
        return clean_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(str(value))


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})秒?|分)?)?$"
)
_SHORT_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")  # 2023-10 / 2023年10月


def _serial(number: float) -> datetime:
    if not 1 <= number < 2958466:  # up to 9999-12-31
        raise ValueError(_("%(value)s is not a date.") % {"value": text(number)})
    # whole seconds: days as a float land a microsecond off (45214.5 → 11:59:59.999999)
    return datetime.combine(EXCEL_EPOCH, time.min) + timedelta(seconds=round(number * 86400))


def parse_datetime(value) -> datetime:
    """A naive local datetime from an Excel serial number (45214 or 45214.5), a date cell, or
    text: 2023-10-15, 2023/10/15, 2023.10.15, 2023年10月15日, optionally with a time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    raw = to_half_width(str(value)).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", raw):  # a serial number that came through as text
        return _serial(float(raw))
    m = _DATE_RE.match(raw)
    if m:
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, hh, mm, ss)
        except ValueError:
            pass
    elif (m := _SHORT_DATE_RE.match(raw)) is not None:
        try:
            return datetime(int(m[1]), int(m[2]), 1)
        except ValueError:
            pass
    raise ValueError(
        _("“%(value)s” is not a date (for example 2023-10-15 or 2023年10月15日).") % {"value": raw}
    )


def parse_date(value) -> date:
    return parse_datetime(value).date()


_AMOUNT_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(万元|万|元|w|k|千)?$", re.IGNORECASE)


def parse_amount(value, *, unit_wan: bool = False) -> Decimal:
    """Money in 元 from 1,234.5 / ¥1,234 / 12.5万 / 12.5万元 / 3000元. A number with no unit is
    in the column's unit: `unit_wan` for a column headed 万元, so 12.5 → 125,000.00."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": text(value)})
    if isinstance(value, int | float | Decimal):
        number, unit = Decimal(str(value)), ""
    else:
        raw = to_half_width(str(value)).strip().replace(",", "").replace("，", "")
        raw = raw.lstrip("¥￥").replace("RMB", "").replace("CNY", "").strip()
        m = _AMOUNT_RE.match(raw)
        if not m:
            raise ValueError(
                _("“%(value)s” is not an amount (for example 12,500 or 1.25万).")
                % {"value": str(value).strip()}
            )
        try:
            number = Decimal(m[1])
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise ValueError(_("“%(value)s” is not an amount.") % {"value": raw}) from exc
        unit = (m[2] or "").lower()
    if not number.is_finite():  # a NaN cell (NaN compares with nothing) or an infinity
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": text(value)})
    if unit in ("万", "万元", "w") or (not unit and unit_wan):
        number *= WAN
    elif unit in ("k", "千"):
        number *= 1000
    if number < 0:
        raise ValueError(_("An amount cannot be negative."))
    number = abs(number)  # -0 is 0
    if number >= TOO_LARGE:
        raise ValueError(_("%(value)s is too large for an amount.") % {"value": text(value)})
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


_TIER_RE = re.compile(r"^([A-Ea-e1-5])\s*(级|类|等|档|级客户|类客户)?$")
_TIER_WORDS = {"重点": "A", "重要": "A", "核心": "A", "普通": "C", "一般": "C"}


def parse_tier(value, tiers=("A", "B", "C")) -> str:
    """A, a, A级, A类 or 1–5 (1 is the top tier) → the tier label."""
    raw = text(value).upper()
    if raw in _TIER_WORDS and _TIER_WORDS[raw] in tiers:
        return _TIER_WORDS[raw]
    m = _TIER_RE.match(raw)
    if m:
        label = m[1]
        if label.isdigit() and 1 <= int(label) <= len(tiers):
            return tiers[int(label) - 1]
        if label in tiers:
            return label
    raise ValueError(
        _("“%(value)s” is not a tier (use %(tiers)s).") % {"value": raw, "tiers": "/".join(tiers)}
    )


def parse_int(value, *, low: int | None = None, high: int | None = None) -> int:
    try:
        number = Decimal(text(value).rstrip("分"))
    except InvalidOperation as exc:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text(value)}) from exc
    # not NaN or an infinity, and not 1e999999999 (int() would build its billion digits)
    if not number.is_finite() or number.adjusted() > 18 or number != number.to_integral_value():
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text(value)})
    result = int(number)
    if (low is not None and result < low) or (high is not None and result > high):
        raise ValueError(
            _("%(value)s is outside %(low)s–%(high)s.")
            % {"value": result, "low": low, "high": high}
        )
    return result


_SPLIT_RE = re.compile(r"[、,，;；/|\n]+")


def split_list(value) -> list[str]:
    """Tags and the like: 需求急迫、价格敏感; 竞品客户 → three names (order kept, no repeats)."""
    seen: list[str] = []
    raw = to_half_width(value) if isinstance(value, str) else text(value)
    for part in _SPLIT_RE.split(raw):
        part = clean_text(part)
        if part and part not in seen:
            seen.append(part)
    return seen


def choice(value, options: dict[str, str]) -> str:
    """A coded value by its code or any of its labels (case and width folded): `options` maps
    every accepted spelling, lower case, to the code."""
    raw = text(value).lower()
    if raw in options:
        return options[raw]
    shown = sorted({k for k in options if not k.isascii()} or set(options))
    raise ValueError(
        _("“%(value)s” is not one of: %(options)s.")
        % {"value": text(value), "options": "、".join(shown[:12])}
    )
