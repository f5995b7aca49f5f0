from django.urls import path

from layan.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_edit, name="create"),
    path("<slug:slug>/", views.article_detail, name="detail"),
    path("<slug:slug>/edit/", views.article_edit, name="edit"),
]
