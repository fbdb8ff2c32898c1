from django.urls import path

from . import views

app_name = "assignment"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("teams/<int:team_pk>/rule/", views.save_rule, name="save-rule"),
    path("teams/<int:team_pk>/run/", views.run_now, name="run"),
    path("teams/<int:team_pk>/reps/<int:user_pk>/", views.save_rep, name="save-rep"),
    path("unassigned/", views.unassigned, name="unassigned"),
]
