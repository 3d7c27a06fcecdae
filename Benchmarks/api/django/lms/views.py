"""The guide's views: a learner's own payments (newest first, 50 at most, as mpesa-recon's default page) and
one payment's status (404 unless it is the learner's own). Authentication and permission come from
REST_FRAMEWORK's defaults: SimpleJWT's JWTAuthentication (one query for the user) and IsAuthenticated."""

import hmac
import json
import os
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .models import CallbackInbox, Enrollment, Payment, PaymentEvent
from .serializers import MyPaymentSerializer, PaymentStatusSerializer


@api_view(["GET"])
def my_payments(request):
    payments = Payment.objects.filter(user=request.user).select_related("course").order_by("-id")[:50]
    return Response(MyPaymentSerializer(payments, many=True).data)


@api_view(["GET"])
def payment_status(request, payment_id):
    payment = get_object_or_404(Payment, id=payment_id, user=request.user)
    return Response(PaymentStatusSerializer(payment).data)


CALLBACK_TOKEN = os.environ.get("MPESA_CALLBACK_TOKEN", "")
NAIROBI = ZoneInfo("Africa/Nairobi")


@csrf_exempt
def mpesa_callback(request):
    """The guide's MpesaCallbackView, as Benchmarks/callbacks/run.sh measures it beside mpesa-recon: in one
    transaction, insert the raw body, then complete the payment it names (receipt, amount, phone, time), enroll the
    learner, record the event and the inbox outcome. Answers Daraja's Accepted."""
    if request.method != "POST":
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=405)
    if not hmac.compare_digest(request.GET.get("token", ""), CALLBACK_TOKEN):
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=401)
    body = request.body
    now = timezone.now()
    with transaction.atomic():
        inbox = CallbackInbox.objects.create(
            kind="stk", received_at=now, remote_addr=request.META.get("REMOTE_ADDR"),
            headers={k.lower(): v for k, v in request.headers.items()}, body=body)
        outcome, reference = "malformed", None
        try:
            callback = json.loads(body)["Body"]["stkCallback"]
            reference = callback["CheckoutRequestID"]
            items = {item["Name"]: item.get("Value") for item in callback.get("CallbackMetadata", {}).get("Item", [])}
        except (ValueError, KeyError, TypeError):
            callback = None
        if callback is not None:
            payment = Payment.objects.select_for_update().filter(checkout_request_id=reference).first()
            if payment is None:
                outcome = "unmatched"
            elif payment.status != "pending":
                outcome = "duplicate"
            else:
                code = str(callback["ResultCode"])
                before = payment.status
                payment.result_code, payment.result_desc = code, callback.get("ResultDesc")
                if code == "0":
                    payment.status = "completed"
                    payment.mpesa_receipt = items.get("MpesaReceiptNumber")
                    payment.paid_amount = Decimal(str(items.get("Amount")))
                    payment.paid_phone = str(items.get("PhoneNumber"))
                    stamp = str(items.get("TransactionDate"))
                    payment.paid_at = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
                    payment.settled_via = "callback"
                    Enrollment.objects.get_or_create(
                        user_id=payment.user_id, course_id=payment.course_id,
                        defaults={"payment_id": payment.id, "created_at": now})
                else:
                    payment.status = "failed"
                payment.next_check_at = None
                payment.updated_at = now
                payment.save()
                PaymentEvent.objects.create(
                    payment_id=payment.id, at=now, source="callback", from_status=before, to_status=payment.status,
                    detail={"inbox_id": str(inbox.id), "result_code": code, "receipt": payment.mpesa_receipt})
                outcome = "applied"
        inbox.reference, inbox.outcome, inbox.processed_at = reference, outcome, now
        inbox.save(update_fields=["reference", "outcome", "processed_at"])
    return JsonResponse({"ResultCode": 0, "ResultDesc": "Accepted"})
