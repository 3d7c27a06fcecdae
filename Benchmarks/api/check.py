"""Benchmarks/api/run.sh: both stacks must answer the same before anything is timed.

    python3 check.py TOKENS_FILE OURS_BASE DJANGO_BASE SAMPLE

For SAMPLE learners spread over the tokens file: GET /api/payments/my/ and GET /api/payments/<id>/status/ for
three of the learner's payments, 200 from both with equal JSON (parsed: key order may differ); another learner's
payment, 404 from both; no token and a token signed with another key, 401 from both. Prints one summary line;
exits 1 on the first difference, showing both answers."""

import json
import sys
import urllib.error
import urllib.request

tokens_file, ours, django, sample = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
learners = []
with open(tokens_file) as f:
    for line in f:
        user, token, ids = line.split()
        learners.append((int(user), token, [int(i) for i in ids.split(",")]))


def get(base, path, token):
    request = urllib.request.Request(base + path)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def same(path, token, want, compare_body=True):
    a_status, a_body = get(ours, path, token)
    b_status, b_body = get(django, path, token)
    problem = None
    if a_status != want or b_status != want:
        problem = f"expected {want} from both"
    elif compare_body and json.loads(a_body) != json.loads(b_body):
        problem = "the JSON differs"
    if problem:
        sys.exit(f"check: GET {path}: {problem}\n  ours {a_status}: {a_body[:600]!r}\n  django {b_status}: {b_body[:600]!r}")
    return json.loads(a_body)


step = max(1, len(learners) // sample)
chosen = learners[::step][:sample]
lists = statuses = items = 0
for n, (user, token, ids) in enumerate(chosen):
    listed = same("/api/payments/my/", token, 200)
    if sorted(p["id"] for p in listed) != sorted(ids)[-50:]:
        sys.exit(f"check: learner {user}: /my/ lists {len(listed)} payments, expected {len(ids[-50:])}")
    lists += 1
    items += len(listed)
    for payment in (ids[0], ids[len(ids) // 2], ids[-1]):
        same(f"/api/payments/{payment}/status/", token, 200)
        statuses += 1
    other = chosen[(n + 1) % len(chosen)]
    if other[0] != user:
        same(f"/api/payments/{other[2][0]}/status/", token, 404, compare_body=False)
same("/api/payments/my/", None, 401, compare_body=False)
forged = chosen[0][1][:-4] + ("AAAA" if not chosen[0][1].endswith("AAAA") else "BBBB")
same("/api/payments/my/", forged, 401, compare_body=False)
print(f"{lists} learners' /my/ lists ({items} payments) and {statuses} /status/ answers equal (200) on both stacks; "
      f"another learner's payment 404 on both, no token and a forged signature 401 on both")
