from django.urls import path

from . import views

app_name = "followups"
urlpatterns = [
    path("today/", views.my_day, name="today"),
    path("calendar/", views.month_view, name="calendar"),
    path("interactions/", views.interaction_list, name="interactions"),
    path("plans/", views.plan_list, name="plans"),
    path("calendar/feed/", views.feed_settings, name="feed"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical"),
    path("notifications/", views.notifications, name="notifications"),
    path("pool/", views.pool_list, name="pool"),
    path("pool/<int:pk>/claim/", views.claim, name="claim"),
    path("cadence/", views.cadence, name="cadence"),
    path("<int:pk>/log/", views.log_form, name="log-form"),
    path("<int:pk>/status/", views.set_status, name="status"),
    path("customers/<int:customer_pk>/log/", views.log, name="log"),
    path("customers/<int:customer_pk>/plan/", views.plan, name="plan"),
    path("customers/<int:customer_pk>/release/", views.release, name="release"),
]
