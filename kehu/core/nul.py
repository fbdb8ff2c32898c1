"""NUL characters in a page's query or form are refused with a 400 that says so, before any
view runs. Django's form fields refuse them already; this covers the values views read straight
from request.GET/POST (reasons, notes, names), which PostgreSQL's text columns cannot hold — a
500 from the database otherwise. The JSON API validates its own input (kehu/api/common.py)."""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/") and (
            _has_nul(request.GET) or (request.method == "POST" and _has_nul(request.POST))
        ):
            # Django's own message, in its catalogs
            return HttpResponseBadRequest(
                _("Null characters are not allowed."), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
