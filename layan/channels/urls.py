from django.urls import path

from layan.channels import views

app_name = "channels"
urlpatterns = [
    path("", views.attention, name="attention"),
    path("<int:pk>/raw/", views.raw_download, name="raw"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
