"""Amounts as people type them into forms ("12,800", " 5000 "): a Decimal to the cent, or a
plain message under the field's name. Money is Decimal everywhere, never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # what a DecimalField(14, 2) holds


def parse_amount(
    value,
    field: str,
    errors: dict,
    *,
    required: bool = True,
    positive: bool = False,
    maximum: Decimal = MAX_AMOUNT,
) -> Decimal | None:
    """A non-negative (or, with `positive`, above-zero) amount to the cent, rounded half up;
    None with a message added to `errors[field]` when it is missing (if `required`), not a
    number, negative or over `maximum` (what the column holds)."""

    def refuse(message):
        errors.setdefault(field, []).append(message)

    if value in (None, ""):
        if required:
            refuse(_("Enter an amount."))
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip()).quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        refuse(_("Enter a number."))
        return None
    if not amount.is_finite() or amount > maximum:
        refuse(_("The amount is too large."))
    elif amount < 0:
        refuse(_("The amount cannot be negative."))
    elif positive and amount == 0:
        refuse(_("The amount must be above 0."))
    else:
        return amount
    return None
