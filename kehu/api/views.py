"""The API tokens page: a person's tokens, a new one (shown once) and revoking."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import ApiToken


def tokens(request):
    created = plaintext = None
    errors = []
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            created, plaintext = services.create_token(request.user, name)
        except ValidationError as exc:
            errors = [m for msgs in exc.message_dict.values() for m in msgs]
        else:
            name = ""
    response = render(
        request,
        "api/tokens.html",
        {
            "tokens": services.tokens_of(request.user),
            "created": created,
            "plaintext": plaintext,
            "errors": errors,
            "name": name,
        },
        status=422 if errors else 200,
    )
    # the one response that carries the token must not be kept anywhere
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api-tokens")
