from functools import cached_property


class _Unread:
    """The navigation bar's unread count, counted (one indexed COUNT) only if a page shows it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def value(self) -> int:
        from .queries import unread_count

        return unread_count(self.user)

    def __bool__(self):
        return self.value > 0

    def __str__(self):
        return str(self.value)


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": _Unread(user)}
