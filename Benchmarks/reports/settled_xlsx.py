#!/usr/bin/env python3
"""Baseline for the reports benchmark: Python's XlsxWriter in constant_memory mode writing the same
Settled sheet as `mpesa-recon report --format xlsx`.

Reads the rows of the same SELECT (settled.sql) as CSV with a header on stdin, from
`psql -c "COPY (…) TO STDOUT WITH CSV HEADER"`, and writes the same cells with the same formats:
bold header, frozen pane, autofilter, column widths, typed cells (East Africa Time date-times, money
as numbers with #,##0.00, whole numbers with 0), phone numbers masked as 2547****1234, receipt
"pending" when missing, a SUBTOTAL totals row with its value stored, and document properties.

Usage: psql … -c "COPY (…) TO STDOUT WITH CSV HEADER" | python3 settled_xlsx.py OUT.xlsx
"""
import csv
import datetime
import sys

import xlsxwriter

TITLES = ["M-Pesa receipt", "Paid at (EAT)", "Payment", "Learner ID", "Learner", "Course ID", "Course",
          "Amount (KES)", "Phone", "CheckoutRequestID", "Settled via", "Enrollment", "Enrollment status"]
WIDTHS = [14, 20, 10, 10, 28, 10, 32, 14, 15, 32, 11, 11, 17]
EAT = datetime.timedelta(hours=3)


def cents(text):
    """'1234.5' -> 123450, exactly."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((fraction + "00")[:2])
    return -value if negative else value


def main(path):
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    workbook.set_properties({
        "title": "M-Pesa report 2026-11-28 to 2026-11-29",
        "subject": "Settled payments, exceptions, refunds, pending",
        "author": "mpesa-recon",
        "comments": "Period 2026-11-28 to 2026-11-29, both days included. Times are East Africa Time (UTC+3). "
                    "Phone numbers masked.",
    })
    header = workbook.add_format({"bold": True, "bottom": 1})
    integer = workbook.add_format({"num_format": "0"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    money_total = workbook.add_format({"num_format": "#,##0.00", "bold": True, "top": 1})
    date_time = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})

    sheet = workbook.add_worksheet("Settled")
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    for column, title in enumerate(TITLES):
        sheet.write_string(0, column, title, header)

    reader = csv.reader(sys.stdin)
    next(reader)
    row = 0
    total = 0
    for (receipt, paid_at, payment, learner_id, learner, course_id, course, amount, phone, checkout, via,
         enrollment_id, enrollment) in reader:
        row += 1
        sheet.write_string(row, 0, receipt or "pending")
        local = datetime.datetime.fromisoformat(paid_at).replace(microsecond=0) + EAT
        sheet.write_datetime(row, 1, local.replace(tzinfo=None), date_time)
        sheet.write_number(row, 2, int(payment), integer)
        sheet.write_number(row, 3, int(learner_id), integer)
        sheet.write_string(row, 4, learner)
        sheet.write_number(row, 5, int(course_id), integer)
        sheet.write_string(row, 6, course)
        value = cents(amount)
        total += value
        sheet.write_number(row, 7, value / 100, money)
        sheet.write_string(row, 8, phone[:4] + "****" + phone[-4:] if len(phone) > 8 else "*" * len(phone))
        if checkout:
            sheet.write_string(row, 9, checkout)
        sheet.write_string(row, 10, via)
        if enrollment_id:
            sheet.write_number(row, 11, int(enrollment_id), integer)
        sheet.write_string(row, 12, enrollment or "none")

    sheet.autofilter(0, 0, row, len(TITLES) - 1)
    sheet.write_string(row + 1, 0, "Total", header)
    if row == 0:
        sheet.write_number(row + 1, 7, 0, money_total)
    else:
        sheet.write_formula(row + 1, 7, f"=SUBTOTAL(9,H2:H{row + 1})", money_total, total / 100)
    workbook.close()
    print(f"{row} rows, total {total // 100}.{total % 100:02d}")


if __name__ == "__main__":
    main(sys.argv[1])
