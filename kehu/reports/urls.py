from django.urls import path

from . import pivot_views, views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("pivot/", pivot_views.pivot_view, name="pivot"),
]
