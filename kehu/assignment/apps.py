from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentConfig(AppConfig):
    name = "kehu.assignment"
    label = "assignment"
    verbose_name = _("Lead assignment")
