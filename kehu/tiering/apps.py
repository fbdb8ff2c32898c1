from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TieringConfig(AppConfig):
    name = "kehu.tiering"
    label = "tiering"
    verbose_name = _("Tiering")
