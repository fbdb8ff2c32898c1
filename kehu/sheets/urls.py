from django.urls import path

from . import views

app_name = "sheets"
urlpatterns = [
    path("import/", views.import_start, name="import"),
    path("imports/<int:pk>/", views.batch_detail, name="batch"),
    path("imports/<int:pk>/errors/", views.error_report, name="errors"),
    path("templates/<slug:kind>/", views.template, name="template"),
]
