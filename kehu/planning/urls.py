from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("edit/", views.plan_edit, name="edit"),
    path("<int:pk>/", views.plan_detail, name="plan"),
]
