from django.core.exceptions import ValidationError


def add_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: on its field when the form has it,
    above the form otherwise."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def errors_text(form) -> str:
    """A form's field errors in one line for a flash message ("数量: 请输入数字。")."""
    return " ".join(
        f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields
    )
