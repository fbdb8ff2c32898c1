from django.urls import path

from . import views

app_name = "quotas"
urlpatterns = [
    path("", views.quota_list, name="list"),
    path("usage/", views.usage_page, name="usage"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/", views.decide, name="decide"),
    path("log/<int:customer_pk>/", views.log_usage, name="log"),
]
