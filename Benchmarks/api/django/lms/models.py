"""mpesa-recon's tables as the LMS's Django models see them (sql/001_init.sql, sql/007_identity.sql). Unmanaged:
the benchmark's database is created by `mpesa-recon migrate`."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class User(AbstractBaseUser):
    # AbstractBaseUser brings `password` and `last_login`, both columns of `users`.
    email = models.TextField(unique=True)
    full_name = models.TextField(default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = BaseUserManager()
    USERNAME_FIELD = "email"

    class Meta:
        managed = False
        db_table = "users"


class Course(models.Model):
    title = models.TextField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        managed = False
        db_table = "courses"


class Payment(models.Model):
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="payments")
    course = models.ForeignKey(Course, on_delete=models.DO_NOTHING, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    phone = models.TextField()
    checkout_request_id = models.TextField(unique=True, null=True)
    merchant_request_id = models.TextField(null=True)
    status = models.TextField(default="pending")
    result_code = models.TextField(null=True)
    result_desc = models.TextField(null=True)
    mpesa_receipt = models.TextField(unique=True, null=True)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    paid_phone = models.TextField(null=True)
    paid_at = models.DateTimeField(null=True)
    settled_via = models.TextField(null=True)
    next_check_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "payments"


class CallbackInbox(models.Model):
    kind = models.TextField()
    received_at = models.DateTimeField()
    remote_addr = models.TextField(null=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    reference = models.TextField(null=True)
    processed_at = models.DateTimeField(null=True)
    outcome = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "callback_inbox"


class Enrollment(models.Model):
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING)
    course = models.ForeignKey(Course, on_delete=models.DO_NOTHING)
    payment = models.ForeignKey(Payment, on_delete=models.DO_NOTHING, null=True)
    status = models.TextField(default="active")
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "enrollments"


class PaymentEvent(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.DO_NOTHING)
    at = models.DateTimeField()
    source = models.TextField()
    from_status = models.TextField(null=True)
    to_status = models.TextField()
    detail = models.JSONField(default=dict)

    class Meta:
        managed = False
        db_table = "payment_events"
