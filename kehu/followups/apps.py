from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "kehu.followups"
    label = "followups"
    verbose_name = _("Follow-ups")

    def ready(self):
        from kehu.customers.queries import TIMELINE_SOURCES
        from kehu.customers.services import AFTER_MERGE, AFTER_REASSIGN

        from .queries import timeline_entries
        from .services import hand_over, tidy_after_merge

        TIMELINE_SOURCES.append(timeline_entries)
        AFTER_MERGE.append(tidy_after_merge)
        AFTER_REASSIGN.append(hand_over)
