"""The JSON API (/api/v1): authentication, the error bodies, the routers of each app.

Every answer that is not a success is JSON {"code", "message"} (422s add "errors": {field:
[messages]}). What the services refuse maps as in the pages: outside the actor's visible set
→ 404, visible but not theirs to change → 403 (AccessDenied), stale version → 409."""

import logging

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from kehu.accounts.access import AccessDenied
from kehu.core.middleware import unavailable_response
from kehu.customers.services import StaleEdit

from . import services

logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, a personal token from the API tokens page."""

    def authenticate(self, request, token):
        user = services.user_for(token)
        if user is not None:
            request.user = user
            # messages in the token owner's language (the page's cookie is not sent)
            translation.activate(user.language)
        return user


class SameOriginSession(SessionAuth):
    """The logged-in browser session (same origin; writes need the CSRF token)."""

    def authenticate(self, request, key):
        user = request.user
        return user if user.is_authenticated and user.is_active else None


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # 客户, not \u5ba2\u6237


api = NinjaAPI(
    title="Kehu API",
    version="1",
    description=(
        "Customers, follow-ups, deals, orders, targets and tiers, with the same access rules "
        "as the pages. Authenticate with `Authorization: Bearer <token>` (create a token "
        "under API tokens in the user menu). Lists are pages: pass `next_cursor` back as "
        "`cursor` until it is null. Errors are JSON {code, message}."
    ),
    urls_namespace="api-v1",
    docs_url=None,  # served at /api/docs (kehu.api.urls)
    auth=[TokenAuth(), SameOriginSession()],
    renderer=Renderer(),
)


def _error(request, status: int, code: str, message: str, **extra):
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


def _field_name(loc) -> str:
    """("body", "payload", "lines", 0, "quantity") → "lines.0.quantity"; ("query", "limit")
    → "limit"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the name of the body argument
    return ".".join(str(p) for p in parts) or "__all__"


@api.exception_handler(RequestInvalid)
def request_invalid(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg", "")))
    names = ", ".join(errors)
    return _error(
        request,
        422,
        "invalid",
        _("Check these fields: %(names)s.") % {"names": names},
        errors=errors,
    )


@api.exception_handler(ValidationError)
def service_invalid(request, exc):
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    message = " ".join(m for msgs in errors.values() for m in msgs)
    return _error(request, 422, "invalid", message, errors=errors)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    response = _error(
        request,
        401,
        "unauthorized",
        _("Send a valid API token: Authorization: Bearer <token>."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", str(exc) or _("Not found."))


@api.exception_handler(AccessDenied)
def forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc))


@api.exception_handler(StaleEdit)
def stale(request, exc):
    return _error(request, 409, "stale", str(exc))


@api.exception_handler(HttpError)
def http_error(request, exc):
    codes = {400: "bad_request", 403: "forbidden", 405: "not_allowed", 429: "throttled"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    """The database does not answer: 503 with Retry-After, as the pages (kehu.core.middleware)."""
    return unavailable_response(request, exc)


@api.exception_handler(Exception)
def server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", _("Something went wrong on our side."))


def _add_routers():
    from .routers import customers, followups, pipeline, reference, sales, targets, tiering

    api.add_router("/", reference.router)
    api.add_router("/customers", customers.router)
    api.add_router("/contacts", customers.contacts)
    api.add_router("/", followups.router)
    api.add_router("/", pipeline.router)
    api.add_router("/", sales.router)
    api.add_router("/targets", targets.router)
    api.add_router("/", tiering.router)


_add_routers()
