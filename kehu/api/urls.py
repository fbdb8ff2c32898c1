"""/api/v1 (the API), /api/docs (its OpenAPI document, browsable) and the API tokens page."""

from functools import partial

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from ninja.openapi.views import openapi_view

from . import views
from .api import api


def _open(urls):
    """The API answers 401 JSON itself: the site's login redirect is not for API clients."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _open((pattern.url_patterns, None, None))
        else:
            pattern.callback.login_required = False
    return patterns, app_name, namespace


urlpatterns = [
    path("v1/", _open(api.urls)),
    path("docs", login_not_required(partial(openapi_view, api=api)), name="api-docs"),
    path("tokens/", views.tokens, name="api-tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
