"""The guide's two response shapes (docs: GET /api/payments/<id>/status/ and GET /api/payments/my/)."""

from rest_framework import serializers

from .models import Payment


class PaymentStatusSerializer(serializers.ModelSerializer):
    # The phone M-Pesa reported when it paid, else the one asked (mpesa-recon shows the same to the payer).
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "checkout_request_id", "amount", "status", "phone", "mpesa_receipt", "created_at"]

    def get_phone(self, payment):
        return payment.paid_phone or payment.phone


class MyPaymentSerializer(serializers.ModelSerializer):
    course = serializers.CharField(source="course.title")

    class Meta:
        model = Payment
        fields = ["id", "course", "amount", "status", "created_at"]
