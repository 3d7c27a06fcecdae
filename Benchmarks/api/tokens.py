"""Benchmarks/api/run.sh: one access token per learner, minted with PyJWT exactly as
djangorestframework-simplejwt writes them (HS256; token_type, exp, iat, jti, user_id as a string, as SimpleJWT 5.5
writes it), and each learner's payment ids.

    python3 tokens.py DATABASE_URL SIGNING_KEY LIFETIME_SECONDS OUT_FILE

OUT_FILE: one line per learner, `user_id token id,id,...` (wrk's api.lua and check.py read it)."""

import sys
import time
import uuid

import jwt
import psycopg

url, key, lifetime, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = int(time.time())
with psycopg.connect(url) as db, open(out, "w") as f:
    rows = db.execute(
        "SELECT u.id, string_agg(p.id::text, ',' ORDER BY p.id) FROM users u JOIN payments p ON p.user_id = u.id "
        "WHERE u.is_active GROUP BY u.id ORDER BY u.id"
    ).fetchall()
    for user_id, ids in rows:
        claims = {"token_type": "access", "exp": now + lifetime, "iat": now, "jti": uuid.uuid4().hex,
                  "user_id": str(user_id)}
        f.write(f"{user_id} {jwt.encode(claims, key, algorithm='HS256')} {ids}\n")
print(len(rows))
