from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentConfig(AppConfig):
    name = "kehu.assignment"
    label = "assignment"
    verbose_name = _("Lead assignment")

    def ready(self):
        from django.db.models.signals import post_save

        from kehu.customers.models import Customer

        from .hooks import lead_saved

        post_save.connect(lead_saved, sender=Customer, dispatch_uid="assignment.lead_saved")
