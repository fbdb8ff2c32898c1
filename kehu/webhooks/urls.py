from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/rotate/", views.rotate_secret, name="rotate"),
    path("<int:pk>/test/", views.send_test, name="test"),
    path("deliveries/<int:pk>/redeliver/", views.redeliver, name="redeliver"),
]
