"""A database that does not answer (down, restarting, unreachable, locked past the busy
timeout) gives a friendly 503 page with Retry-After — JSON {"code", "message"} under /api/ —
instead of a server error, and is logged. Nothing is cached or remembered: the next request
tries the database again, so work resumes as soon as it is back.

The error can come from a view (process_exception) or from a middleware that reads the
database before or after it (the session, the user): Django turns those into a 500 response
inside the middleware that raised, so a `got_request_exception` receiver marks the request and
__call__ swaps the 500 for the 503. The page is rendered without a request context: context
processors read the user and their notifications, which is the database again.
"""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("kehu.db")

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
_MARK = "_kehu_database_error"


def _mark_database_error(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        setattr(request, _MARK, error)


got_request_exception.connect(_mark_database_error, dispatch_uid="kehu-database-unavailable")


def _language(request) -> str:
    """The page's language from the language cookie alone (the user's profile is in the
    database)."""
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def unavailable_response(request, error) -> HttpResponse:
    logger.error(
        "Database unavailable during %s %s: %s",
        request.method,
        request.path,
        error,
        exc_info=(type(error), error, error.__traceback__),
    )
    with translation.override(_language(request)):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "code": "unavailable",
                    "message": _("The database is not answering right now. Try again in a minute."),
                },
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            html = loader.get_template("503.html").render(
                {"retry_after": RETRY_AFTER_SECONDS, "path": request.get_full_path()}
            )
            response = HttpResponse(html, status=503)
        response["Content-Language"] = translation.get_language()
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as error:  # with DEBUG_PROPAGATE_EXCEPTIONS
            return unavailable_response(request, error)
        error = getattr(request, _MARK, None)
        if error is not None and response.status_code >= 500:
            return unavailable_response(request, error)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return unavailable_response(request, exception)
        return None
