from django.contrib import admin
from django.urls import include, path

from kehu.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.health, name="health"),
    path("calendar-days/", core_views.calendar_days, name="calendar-days"),
    path("accounts/", include("kehu.accounts.urls")),
    path("customers/", include("kehu.customers.urls")),
    path("tiering/", include("kehu.tiering.urls")),
    path("followups/", include("kehu.followups.urls")),
    path("deals/", include("kehu.pipeline.urls")),
    path("sheets/", include("kehu.sheets.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("planning/", include("kehu.planning.urls")),
    path("targets/", include("kehu.targets.urls")),
    path("incentives/", include("kehu.incentives.urls")),
    path("assignment/", include("kehu.assignment.urls")),
    path("quotas/", include("kehu.quotas.urls")),
    path("reports/", include("kehu.reports.urls")),
    path("webhooks/", include("kehu.webhooks.urls")),
    path("api/", include("kehu.api.urls")),
    path("admin/", admin.site.urls),
]
