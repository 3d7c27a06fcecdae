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

from .models import CallbackInbox, Payment
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
    """The guide's callback view, the benchmark's peer: in one transaction, insert the raw body, then complete
    the payment it names (status, result, receipt, amount, phone, time) with one UPDATE. No enrollment, event or
    inbox outcome: mpesa-recon does those too (its applier), so this peer does less work per callback than ours."""
    if request.method != "POST":
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=405)
    if not hmac.compare_digest(request.GET.get("token", ""), CALLBACK_TOKEN):
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=401)
    body = request.body
    now = timezone.now()
    with transaction.atomic():
        CallbackInbox.objects.create(
            kind="stk", received_at=now, remote_addr=request.META.get("REMOTE_ADDR"),
            headers={k.lower(): v for k, v in request.headers.items()}, body=body)
        try:
            callback = json.loads(body)["Body"]["stkCallback"]
            items = {item["Name"]: item.get("Value") for item in callback.get("CallbackMetadata", {}).get("Item", [])}
            code = str(callback["ResultCode"])
            fields = {"result_code": code, "result_desc": callback.get("ResultDesc"), "updated_at": now,
                      "next_check_at": None}
            if code == "0":
                stamp = str(items.get("TransactionDate"))
                fields.update(
                    status="completed", mpesa_receipt=items.get("MpesaReceiptNumber"),
                    paid_amount=Decimal(str(items.get("Amount"))), paid_phone=str(items.get("PhoneNumber")),
                    paid_at=datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI), settled_via="callback")
            else:
                fields["status"] = "failed"
            Payment.objects.filter(checkout_request_id=callback["CheckoutRequestID"], status="pending").update(**fields)
        except (ValueError, KeyError, TypeError):
            pass  # stored as received; nothing to apply
    return JsonResponse({"ResultCode": 0, "ResultDesc": "Accepted"})
