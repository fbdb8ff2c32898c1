from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("", views.board, name="board"),
    path("set/", views.set_target, name="set"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("<int:pk>/", views.target_detail, name="target"),
    path("<int:pk>/split/", views.decompose, name="decompose"),
    path("<int:pk>/part/", views.edit_part, name="part"),
    path("<int:pk>/lock/", views.lock, name="lock"),
]
