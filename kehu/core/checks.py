from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def secret_key_check(app_configs, **kwargs):
    if not settings.DEBUG and settings.SECRET_KEY.startswith("kehu-insecure"):
        return [
            Warning(
                "KEHU_SECRET_KEY is not set: sessions are signed with the public demo key.",
                hint=(
                    "Set KEHU_SECRET_KEY (and KEHU_ENV=production) in the environment before "
                    "exposing Kehu to a network; README: Running in production."
                ),
                id="kehu.W001",
            )
        ]
    return []
