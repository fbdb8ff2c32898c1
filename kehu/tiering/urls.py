from django.urls import path

from . import views

app_name = "tiering"
urlpatterns = [
    path("reviews/", views.review_queue, name="review"),
    path("reviews/<int:pk>/", views.decide, name="decide"),
    path("customers/<int:customer_pk>/propose/", views.propose, name="propose"),
]
