from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from kehu.customers.services import AFTER_MERGE

        from .services import refresh_totals

        # a merge moves the dropped customer's orders to the kept one: recount its totals
        AFTER_MERGE.append(lambda keep: refresh_totals([keep.pk]))
