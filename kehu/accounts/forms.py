import ipaddress

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import services


def client_ip(request) -> str | None:
    """The address failed logins are counted by. Behind a proxy (KEHU_BEHIND_PROXY) that is the
    right-most X-Forwarded-For entry, the one the proxy itself appended: REMOTE_ADDR is the
    proxy's, shared by everyone, and the entries left of it are whatever the client sent."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # none, or not an address: the proxy did not add one
    return request.META.get("REMOTE_ADDR") or None


class ThrottledLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts. Wait a few minutes before trying again, or ask an "
            "admin to reset your password."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else None
        if services.login_blocked(username, ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            services.record_login_failure(username, ip)
            raise
        services.clear_login_failures(username)
        return cleaned
