"""Benchmarks/statement/run.sh: a utility-account statement of N lines in the M-Pesa Org Portal CSV layout that
`daraja-sim`'s `GET /sim/statement` exports and `mpesa-recon statement import` reads (Sources/DarajaSimulator/
StatementExport.swift: the header block, a blank row, the `Receipt No.` table; CRLF; amounts with thousands
separators; `DD-MM-YYYY HH:MM:SS` in EAT), and the payments our ledger holds for it.

    python3 gen.py N STATEMENT_CSV PAYMENTS_TSV

The statement: Pay Bill Online lines from learners (one every few seconds, course prices), one sweep to the
settlement account at 23:59:59 each day (everything above the float), balances that tie out. The ledger
(PAYMENTS_TSV, for \\copy): a completed payment with the receipt for every Pay Bill line but one in 1,000 (statement-
only money: a walk-in payer), plus one completed payment in 1,000 that the statement lacks (missing from it).
Deterministic: the same N gives the same bytes."""

import sys
from datetime import datetime, timedelta, timezone

n, csv_path, tsv_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
eat = timezone(timedelta(hours=3))
prices = [1000 * c + 500 for c in range(1, 11)]  # cents below: whole shillings here
per_day = 16_000
days = max(1, -(-n // per_day))
sweeps = days
payments = n - sweeps
start = datetime(2026, 10, 1, tzinfo=eat)
end = start + timedelta(days=days) - timedelta(seconds=1)
float_cents = 25_000_000


def portal(t):
    return t.strftime("%d-%m-%Y %H:%M:%S")


def amount(cents):
    text = f"{cents // 100:,}.{cents % 100:02d}"
    return f'"{text}"' if "," in text else text


rows = []
ledger = []
balance = float_cents
paid_in = withdrawn = 0
step = 86_400 / (per_day + 1)
i = 0
for day in range(days):
    day_start = start + timedelta(days=day)
    count = min(per_day, payments - i)
    for k in range(count):
        i += 1
        at = day_start + timedelta(seconds=int((k + 1) * step))
        course = i % 10
        price = prices[course] * 100
        learner = i % 5000 + 1
        phone = f"2547{learner:08d}"
        masked = phone[:5] + "****" + phone[-3:]
        receipt = f"UC{i:08d}"
        walk_in = i % 1000 == 500
        name = "WALK-IN PAYER" if walk_in else f"LEARNER {learner}"
        account = "WALKIN" if walk_in else f"COURSE{course + 1}"
        party = f"{masked} - {name}"
        balance += price
        paid_in += price
        rows.append(
            f"{receipt},{portal(at)},{portal(at - timedelta(seconds=25))},Pay Bill Online from {party} Acc. {account},"
            f"Completed,{amount(price)},,{amount(balance)},true,Pay Bill Online,{party},,{account}"
        )
        if not walk_in:
            ledger.append((learner, course + 1, price, phone, receipt, at - timedelta(seconds=25), at))
        if i % 1000 == 0:
            # A payment M-Pesa confirmed to us that the statement does not show.
            ledger.append((learner, course + 1, price, phone, f"UM{i:08d}", at - timedelta(seconds=20), at))
    sweep_at = day_start + timedelta(seconds=86_399)
    swept = balance - float_cents
    balance -= swept
    withdrawn += swept
    rows.append(
        f"SW{sweep_at.strftime('%Y%m%d')},{portal(sweep_at)},{portal(sweep_at)},"
        f"Transfer of funds to Organization Settlement Account,Completed,,{amount(swept)},{amount(balance)},true,"
        f"Utility Account to Organization Settlement Account,,,"
    )

header = [
    "Account Holder:,Course Platform Ltd",
    "Short Code:,174379",
    "Account:,Utility Account",
    f"Time Period: From {portal(start)} To {portal(end)}",
    f"Operator:,bench,Date of Report:,{portal(end + timedelta(hours=8))}",
    f"Opening Balance:,{amount(float_cents)},Closing Balance:,{amount(balance)},Available Balance:,{amount(balance)},"
    f"Total Paid In:,{amount(paid_in)},Total Withdrawn:,{amount(withdrawn)}",
    "",
    "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
    "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.",
]
with open(csv_path, "w", newline="") as f:
    f.write("\r\n".join(header + rows) + "\r\n")
with open(tsv_path, "w") as f:
    for learner, course, cents, phone, receipt, created, paid in ledger:
        f.write(f"{learner}\t{course}\t{cents // 100}.{cents % 100:02d}\t{phone}\t{receipt}\t"
                f"{created.isoformat()}\t{paid.isoformat()}\n")
print(f"{len(rows)} {len(header)} {payments} {sweeps} {len(ledger)}")
