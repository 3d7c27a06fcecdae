"""The guide's views: a learner's own payments (newest first, 50 at most, as mpesa-recon's default page) and
one payment's status (404 unless it is the learner's own). Authentication and permission come from
REST_FRAMEWORK's defaults: SimpleJWT's JWTAuthentication (one query for the user) and IsAuthenticated."""

from django.shortcuts import get_object_or_404
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .models import Payment
from .serializers import MyPaymentSerializer, PaymentStatusSerializer


@api_view(["GET"])
def my_payments(request):
    payments = Payment.objects.filter(user=request.user).select_related("course").order_by("-id")[:50]
    return Response(MyPaymentSerializer(payments, many=True).data)


@api_view(["GET"])
def payment_status(request, payment_id):
    payment = get_object_or_404(Payment, id=payment_id, user=request.user)
    return Response(PaymentStatusSerializer(payment).data)
