from django.urls import path

from . import views

app_name = "pipeline"
urlpatterns = [
    path("", views.deal_list, name="list"),
    path("board/", views.board, name="board"),
    path("analytics/", views.analytics_page, name="analytics"),
    path("stages/", views.stage_settings, name="stages"),
    path("new/<int:customer_pk>/", views.deal_new, name="new"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/move/", views.deal_move, name="move"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone-done"),
    path("<int:pk>/reset-probability/", views.deal_reset_probability, name="reset-probability"),
]
