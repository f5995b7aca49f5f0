from django.urls import path

from layan.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.customer_list, name="list"),
    path("customers/new/", views.customer_create, name="create"),
    path("customers/<int:pk>/", views.customer_detail, name="detail"),
    path("customers/<int:pk>/notes/", views.customer_notes, name="notes"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path(
        "customers/<int:pk>/temperament/", views.customer_temperament, name="customer_temperament"
    ),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/temperament/", views.contact_temperament, name="contact_temperament"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
]
