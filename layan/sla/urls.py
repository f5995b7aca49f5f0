from django.urls import path

from layan.sla import views

app_name = "sla"
urlpatterns = [
    path("sla/", views.policy_list, name="policies"),
    path("sla/policies/new/", views.policy_edit, name="policy_create"),
    path("sla/policies/<int:pk>/", views.policy_edit, name="policy"),
    path("sla/calendars/new/", views.calendar_edit, name="calendar_create"),
    path("sla/calendars/<int:pk>/", views.calendar_edit, name="calendar"),
    path("sla/calendars/<int:pk>/holidays/", views.holiday_add, name="holiday_add"),
    path(
        "sla/calendars/<int:pk>/holidays/<int:holiday_pk>/remove/",
        views.holiday_remove,
        name="holiday_remove",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notification_read_all, name="notifications_read"),
]
