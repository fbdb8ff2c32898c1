from django.urls import path

from . import views

app_name = "sales"
urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/new/<int:customer_pk>/", views.order_new, name="order-new"),
    path("orders/from-deal/<int:deal_pk>/", views.order_from_deal, name="order-from-deal"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/collect/", views.order_collect, name="order-collect"),
    path("orders/<int:pk>/delete/", views.order_delete, name="order-delete"),
    path("products/", views.products, name="products"),
    path("answers/new/<int:customer_pk>/", views.answer_new, name="answer-new"),
    path("feedback/", views.feedback_list, name="feedback"),
    path("feedback/new/<int:customer_pk>/", views.feedback_new, name="feedback-new"),
    path("feedback/<int:pk>/", views.feedback_detail, name="feedback-detail"),
    path("lifecycle/", views.lifecycle_page, name="lifecycle"),
    path("warnings/", views.warnings_page, name="warnings"),
    path("winback/<int:customer_pk>/", views.plan_winback, name="winback"),
]
