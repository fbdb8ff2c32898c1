from django.urls import path

from . import views

app_name = "tiering"
urlpatterns = [
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy-new"),
    path("policies/<int:pk>/publish/", views.policy_publish, name="policy-publish"),
    path("policies/<int:pk>/run/", views.policy_run, name="policy-run"),
    path("runs/", views.runs, name="runs"),
    path("schedule/", views.retier_schedule, name="schedule"),
    path("reviews/", views.review_queue, name="review"),
    path("history/", views.history, name="history"),
    path("customers/<int:customer_pk>/override/", views.override, name="override"),
    path("reviews/<int:pk>/", views.decide, name="decide"),
    path("customers/<int:customer_pk>/propose/", views.propose, name="propose"),
]
