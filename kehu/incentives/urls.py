from django.urls import path

from . import views

app_name = "incentives"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("new/", views.plan_edit, name="plan-new"),
    path("<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("payout/", views.payout_report, name="payout"),
    path("review/", views.review_page, name="review"),
]
