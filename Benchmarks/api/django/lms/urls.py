from django.urls import path

from . import views

urlpatterns = [
    path("api/payments/callback/", views.mpesa_callback),
    path("api/payments/my/", views.my_payments),
    path("api/payments/<int:payment_id>/status/", views.payment_status),
]
