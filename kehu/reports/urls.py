from django.urls import path

from . import pivot_views, review_views, views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("pivot/", pivot_views.pivot_view, name="pivot"),
    path("review/", review_views.review_page, name="review"),
    path("review/xlsx/", review_views.review_xlsx, name="review-xlsx"),
    path("review/pdf/", review_views.review_pdf, name="review-pdf"),
]
