#!/usr/bin/env bash
# Checks the reference deployment in deploy/ with the tools that will run it (Debian's packages, installed by
# scripts/setup-ops.sh when missing):
#   1. Prometheus: promtool check rules / test rules (deploy/prometheus/alerts_test.yml) / check config, and every
#      mpesa_recon_* series the alerts use is exported by Sources/ or marked "NOT YET EXPORTED";
#   2. systemd: systemd-analyze verify on every unit (templates instantiated), the exposure score of
#      `systemd-analyze security --offline`, the timers' next elapses;
#   3. nginx: nginx -t with a self-signed test certificate made here;
#   4. live, when mpesa-recon is built (RECON_BIN, default .build/debug/mpesa-recon): a throwaway PostgreSQL,
#      `migrate`, the units' own ExecStart lines (two callback instances, the internal one, the run), nginx in
#      front with the test certificate, and requests through it: callbacks stored with the client's address,
#      nothing else public, a dead instance failed over, the internal side refused to outsiders, Secure cookies,
#      each instance's /metrics, run's gauge.
# Prints PASS/FAIL per check; exits 1 if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
deploy=$repo/deploy
bin=${RECON_BIN:-$repo/.build/debug/mpesa-recon}
"$repo/scripts/setup-ops.sh"
export LC_ALL=C PGTZ=UTC

work=$(mktemp -d /tmp/mpesa-recon-check-deploy.XXXXXX)
chmod 755 "$work"
pids=()
pg_port=""
failures=0
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_port" ]; then
        "$repo/scripts/pg.sh" stop "$pg_port" >/dev/null 2>&1 || true
        rm -rf "/tmp/mpesa-recon-pg-$pg_port"
    fi
    if [ "$failures" = 0 ] && [ "${RECON_CHECK_KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "kept: $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s.%N)
section() { printf '\n== %s\n' "$*"; }
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
indent() { sed 's/^/      /'; }
# check LABEL command…: PASS or FAIL by the exit status, with the command's output indented.
check() {
    local label=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" = 0 ]; then pass "$label"; else fail "$label (exit $rc)"; fi
    [ -z "$out" ] || printf '%s\n' "$out" | indent
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------------------------------------------------------
section "Prometheus (promtool $(promtool --version 2>&1 | awk 'NR == 1 { print $3 }'))"
check "promtool check rules deploy/prometheus/alerts.yml" promtool check rules "$deploy/prometheus/alerts.yml"
check "promtool test rules deploy/prometheus/alerts_test.yml" promtool test rules "$deploy/prometheus/alerts_test.yml"
# check config opens the files the configuration names: point them at stand-ins.
mkdir -p "$work/prometheus"
cp "$deploy/prometheus/alerts.yml" "$work/prometheus/"
echo "stand-in-token" >"$work/prometheus/token"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/prometheus/ca.key" -out "$work/prometheus/ca.crt" -days 2 \
    -subj "/CN=check-deploy CA" 2>/dev/null
sed -e "s#/etc/prometheus/mpesa-recon-metrics-token#$work/prometheus/token#" \
    -e "s#/etc/prometheus/mpesa-recon-internal-ca.crt#$work/prometheus/ca.crt#" \
    "$deploy/prometheus/prometheus.yml" >"$work/prometheus/prometheus.yml"
check "promtool check config deploy/prometheus/prometheus.yml (credential and CA files stood in)" \
    promtool check config "$work/prometheus/prometheus.yml"

exported=()
missing=()
unknown=()
for series in $(grep -v '^ *#' "$deploy/prometheus/alerts.yml" | grep -o 'mpesa_recon_[a-z0-9_]*' | sort -u); do
    base=${series#mpesa_recon_}
    base=${base%_total}
    if grep -rqF "\"$base\"" "$repo/Sources"; then
        exported+=("$series")
    elif grep -q "(NOT YET EXPORTED).*$series" "$deploy/prometheus/alerts.yml"; then
        missing+=("$series")
    else
        unknown+=("$series")
    fi
done
if [ ${#unknown[@]} = 0 ]; then
    pass "every series the alerts use is exported by Sources/ (${#exported[@]}) or marked NOT YET EXPORTED (${#missing[@]})"
else
    fail "series used by the alerts, neither exported nor marked NOT YET EXPORTED: ${unknown[*]}"
fi
printf '%s\n' "exported: ${exported[*]}" "not yet exported (MpesaReconGaugeMissing fires): ${missing[*]:-none}" | indent

# ---------------------------------------------------------------------------------------------------------------
section "systemd ($(systemd-analyze --version | head -1))"
# verify needs each ExecStart's program to exist: the built binary when there is one, else /bin/true.
mkdir -p "$work/systemd"
stand_in=$bin
[ -x "$stand_in" ] || stand_in=/bin/true
for unit in "$deploy"/systemd/*.service "$deploy"/systemd/*.timer; do
    sed "s#/usr/local/bin/mpesa-recon#$stand_in#g" "$unit" >"$work/systemd/$(basename "$unit")"
done
(
    cd "$work/systemd"
    mv mpesa-recon-callbacks@.service mpesa-recon-callbacks@8081.service
    cp pgbackrest-backup@.service pgbackrest-backup@full.service
    mv pgbackrest-backup@.service pgbackrest-backup@diff.service
)
units=(mpesa-recon-callbacks@8081.service mpesa-recon-internal.service mpesa-recon-run.service mpesa-recon-run.timer
    pgbackrest-backup@full.service pgbackrest-full.timer pgbackrest-diff.timer)
echo "      (ExecStart's /usr/local/bin/mpesa-recon stood in by $stand_in; no systemd runs as PID 1 here, so the" \
    "units are verified offline, not started)"
check "systemd-analyze verify ${units[*]}" bash -c "cd '$work/systemd' && systemd-analyze verify ${units[*]}"
for unit in mpesa-recon-callbacks@8081.service mpesa-recon-internal.service mpesa-recon-run.service; do
    score=$(cd "$work/systemd" && systemd-analyze security --offline=true "$unit" 2>/dev/null | tail -1 \
        | grep -oE '[0-9]+\.[0-9]+' | head -1)
    if awk -v s="${score:-10}" 'BEGIN { exit !(s <= 2.0) }'; then
        pass "systemd-analyze security --offline $unit: exposure $score (at most 2.0)"
    else
        fail "systemd-analyze security --offline $unit: exposure ${score:-unknown} (at most 2.0)"
    fi
done
for timer in "$deploy"/systemd/*.timer; do
    calendar=$(sed -n 's/^OnCalendar=//p' "$timer")
    check "$(basename "$timer"): OnCalendar=$calendar" bash -c \
        "systemd-analyze calendar --iterations=2 '$calendar' | grep -E 'Next elapse|Iter'"
done
check "sysusers: deploy/systemd/mpesa-recon.sysusers.conf parses" \
    bash -c "systemd-sysusers --dry-run --root='$work/systemd' '$deploy/systemd/mpesa-recon.sysusers.conf' 2>&1 | grep Creating"

# ---------------------------------------------------------------------------------------------------------------
section "nginx ($(nginx -v 2>&1 | sed 's/.*: //'))"
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/test.key" -out "$tls/test.crt" -days 2 \
    -subj "/CN=callbacks.example.com" -addext "subjectAltName=DNS:callbacks.example.com,DNS:recon.example.lan" 2>/dev/null
echo "      self-signed test certificate: $(openssl x509 -in "$tls/test.crt" -noout -subject -enddate | tr '\n' ' ')"
nginx_conf() { # nginx_conf DIR [sed expressions…]: a main configuration including a copy of the site file
    local dir=$1
    shift
    mkdir -p "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
    chmod 777 "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
    sed -e "s#/etc/ssl/mpesa-recon/[a-z]*\.crt#$tls/test.crt#" -e "s#/etc/ssl/mpesa-recon/[a-z]*\.key#$tls/test.key#" \
        "$@" "$deploy/nginx/mpesa-recon.conf" >"$dir/mpesa-recon.conf"
    cat >"$dir/nginx.conf" <<EOF
# check-deploy: stands for Debian's /etc/nginx/nginx.conf, which includes sites-enabled/* inside http {}.
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/mpesa-recon.conf;
}
EOF
}
nginx_conf "$work/nginx-t"
check "nginx -t deploy/nginx/mpesa-recon.conf (certificate paths pointed at the test certificate)" \
    nginx -t -q -e "$work/nginx-t/error.log" -p "$work/nginx-t" -c "$work/nginx-t/nginx.conf"

# ---------------------------------------------------------------------------------------------------------------
section "Live: the units' commands behind nginx, on loopback"
if [ ! -x "$bin" ]; then
    fail "mpesa-recon is not built at $bin (swift build, or RECON_BIN=…): live checks not run"
else
    pg_port=$(free_port)
    admin_url=$("$repo/scripts/pg.sh" start "$pg_port")
    db_url=${admin_url%/postgres}/mpesa_recon_check
    psql -X -q "$admin_url" -c "CREATE DATABASE mpesa_recon_check"
    check "mpesa-recon migrate (a throwaway cluster on 127.0.0.1:$pg_port)" bash -c \
        "cd '$work' && env -i PATH='$PATH' DATABASE_URL='$db_url' '$bin' migrate --sql-dir '$repo/sql' | grep -c '^applied' | sed 's/$/ migrations applied/'"

    p1=$(free_port) p2=$(free_port) p3=$(free_port) pub=$(free_port) int=$(free_port) http=$(free_port)
    state=$work/state
    mkdir -p "$state"
    token=checkdeploy0123456789abcdef
    metrics_token=checkdeploymetrics0123456789
    # /etc/mpesa-recon/env for this check: a systemd EnvironmentFile (KEY=VALUE lines).
    cat >"$work/env" <<EOF
DATABASE_URL=$db_url
MPESA_ENVIRONMENT=sandbox
MPESA_CONSUMER_KEY=checkdeploykey
MPESA_CONSUMER_SECRET=checkdeploysecret
MPESA_SHORTCODE=174379
MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919
MPESA_CALLBACK_URL=https://callbacks.example.com/api/payments/callback/?token=$token
MPESA_CALLBACK_TOKEN=$token
LMS_JWT_SIGNING_KEY=check-deploy-signing-key-0123456789abcdef
RECON_TRUSTED_PROXIES=127.0.0.1/32
RECON_METRICS_TOKEN=$metrics_token
EOF
    # unit_command UNIT INSTANCE: the unit's Environment= and ExecStart= as this check runs them: env -i, the
    # unit's Environment= first, the env file after (it wins, as in systemd), paths moved under $state.
    unit_command() {
        local unit=$1 instance=$2 line i
        local env=("PATH=$PATH")
        while IFS= read -r line; do env+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
        while IFS= read -r line; do env+=("$line"); done <"$work/env"
        # shellcheck disable=SC2207 # the ExecStart line holds no quoted arguments
        unit_exec=($(sed -n 's/^ExecStart=//p' "$unit"))
        for i in "${!env[@]}"; do env[i]=${env[i]//\/var\/lib\/mpesa-recon/$state}; done
        for i in "${!unit_exec[@]}"; do
            unit_exec[i]=${unit_exec[i]//\/usr\/local\/bin\/mpesa-recon/$bin}
            unit_exec[i]=${unit_exec[i]//\/var\/lib\/mpesa-recon/$state}
            unit_exec[i]=${unit_exec[i]//%i/$instance}
            [ "${unit_exec[i]}" != 8090 ] || unit_exec[i]=$instance
        done
        unit_cmd=(env -i "${env[@]}" "${unit_exec[@]}")
    }
    start_unit() { # start_unit UNIT INSTANCE PORT LOG
        unit_command "$1" "$2"
        echo "      $(basename "$1"): ${unit_exec[*]}" | sed -e "s#$bin#mpesa-recon#" -e "s#$work#\$WORK#g"
        (cd "$state" && exec "${unit_cmd[@]}") >"$4" 2>&1 &
        pids+=($!)
        last_pid=$!
        for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
        tail -5 "$4" | indent
        return 1
    }
    start_unit "$deploy/systemd/mpesa-recon-callbacks@.service" "$p1" "$p1" "$work/callbacks-1.log"
    pid_callbacks_1=$last_pid
    start_unit "$deploy/systemd/mpesa-recon-callbacks@.service" "$p2" "$p2" "$work/callbacks-2.log"
    start_unit "$deploy/systemd/mpesa-recon-internal.service" "$p3" "$p3" "$work/internal.log"
    pass "three serve instances answer /healthz (callbacks on $p1 and $p2, api,console on $p3)"

    # nginx: the site file, ports moved to free ones; the internal side also allows 127.0.0.1 (the only addition),
    # so 127.0.0.1 plays an inside address and 127.0.0.2 an outside one.
    nginx_conf "$work/nginx" -e "s#listen 80;#listen 127.0.0.1:$http;#" -e "s#listen 443 #listen 127.0.0.1:$pub #" \
        -e "s#listen 8443 #listen 127.0.0.1:$int #" -e "s#127.0.0.1:8081#127.0.0.1:$p1#g" \
        -e "s#127.0.0.1:8082#127.0.0.1:$p2#g" -e "s#127.0.0.1:8090#127.0.0.1:$p3#g" \
        -e "s#^\( *\)deny all;#\1allow 127.0.0.1;  \# check-deploy only\n\1deny all;#"
    nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    pids+=($!)
    for _ in $(seq 1 50); do curl -ks "https://127.0.0.1:$pub/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "      nginx: public https://127.0.0.1:$pub, internal https://127.0.0.1:$int"

    public=https://127.0.0.1:$pub
    inside=https://127.0.0.1:$int
    code() { curl -ks -o "$work/body" -w '%{http_code}' "$@" || true; }
    expect() { # expect LABEL WANTED GOT
        if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: $3, expected $2"; fi
    }
    stk() { # stk CHECKOUT_ID: an STK callback body (cancelled by the user) for a payment nobody has
        printf '{"Body":{"stkCallback":{"MerchantRequestID":"29115-1","CheckoutRequestID":"%s","ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}' "$1"
    }
    stored() { psql -X -At "$db_url" -c "SELECT count(*) FROM callback_inbox"; }

    got=$(code --interface 127.0.0.2 -X POST -H 'Content-Type: application/json' --data "$(stk ws_CO_check_1)" \
        "$public/api/payments/callback/?token=$token")
    expect "POST /api/payments/callback/?token=… through nginx (TLS) from 127.0.0.2" 200 "$got"
    grep -q '"ResultCode":0' "$work/body" && pass "answer: $(cat "$work/body")" || fail "answer: $(cat "$work/body")"
    addr=$(psql -X -At "$db_url" -c "SELECT remote_addr FROM callback_inbox ORDER BY id DESC LIMIT 1")
    expect "stored with the client's address from X-Forwarded-For (nginx at 127.0.0.1 trusted)" 127.0.0.2 "$addr"
    expect "callback without the token" 401 "$(code -X POST --data "$(stk ws_CO_check_x)" "$public/api/payments/callback/")"
    head -c 70000 /dev/zero | tr '\0' a >"$work/big.json"
    expect "callback body over 64 KiB (nginx)" 413 "$(code -X POST --data-binary "@$work/big.json" \
        "$public/api/payments/callback/?token=$token")"
    expect "public GET /healthz" 200 "$(code "$public/healthz")"
    for path in /console/ /console/login /api/payments/my/ /api/auth/login/ /metrics; do
        expect "public GET $path (not routed)" 404 "$(code "$public$path")"
    done
    expect "plain http on the public name: redirect to https" 301 "$(code "http://127.0.0.1:$http/api/payments/callback/")"

    kill "$pid_callbacks_1"
    wait "$pid_callbacks_1" 2>/dev/null || true
    before=$(stored)
    ok=0
    for n in 1 2 3 4; do
        [ "$(code -X POST --data "$(stk "ws_CO_failover_$n")" "$public/api/payments/callback/?token=$token")" = 200 ] \
            && ok=$((ok + 1))
    done
    expect "callbacks answered 200 with callbacks instance 1 killed (nginx fails over to instance 2)" "4/4" "$ok/4"
    expect "…and all stored" 4 "$(($(stored) - before))"

    expect "internal GET /console/login from 127.0.0.2 (outside: nginx deny)" 403 \
        "$(code --interface 127.0.0.2 "$inside/console/login")"
    headers=$(curl -ks -D - -o /dev/null "$inside/console/login")
    expect "internal GET /console/login from 127.0.0.1 (inside)" 200 "$(echo "$headers" | awk 'NR == 1 { print $2 }')"
    cookie=$(echo "$headers" | grep -i '^set-cookie:' | head -1 | tr -d '\r')
    if [[ "$cookie" == *"__Host-"*"; Secure"* ]]; then pass "console cookie behind nginx: ${cookie%%=*}=…; ${cookie#*; }"
    else fail "console cookie behind nginx lacks __Host-/Secure: $cookie"; fi
    expect "internal /metrics without the bearer token" 401 "$(code "$inside/metrics")"
    expect "internal /instances/8082/metrics (callbacks instance 2) with the token" 200 \
        "$(code -H "Authorization: Bearer $metrics_token" "$inside/instances/8082/metrics")"
    stored_metric=$(grep -E '^mpesa_recon_callbacks_received_total\{.*route="stk".*outcome="stored"' "$work/body" \
        | awk '{ print $2 }' | head -1)
    if [ "${stored_metric:-0}" -ge 4 ]; then
        pass "instance 2's mpesa_recon_callbacks_received_total{route=\"stk\",outcome=\"stored\"}: $stored_metric (at least the 4 above)"
    else
        fail "instance 2's mpesa_recon_callbacks_received_total{route=\"stk\",outcome=\"stored\"}: ${stored_metric:-missing}, expected at least 4"
    fi

    unit_command "$deploy/systemd/mpesa-recon-run.service" ""
    rc=0
    (cd "$state" && "${unit_cmd[@]}") >"$work/run.log" 2>&1 || rc=$?
    expect "mpesa-recon-run.service's command (run --reports-dir …) exit status (SuccessExitStatus 0 or 75)" 0 "$rc"
    tail -4 "$work/run.log" | indent
    code -H "Authorization: Bearer $metrics_token" "$inside/metrics" >/dev/null
    last_run=$(awk '/^mpesa_recon_last_successful_run_timestamp_seconds / { print $2 }' "$work/body")
    if awk -v t="${last_run:-0}" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 300) }'; then
        pass "mpesa_recon_last_successful_run_timestamp_seconds after the run: $last_run (MpesaReconNoSuccessfulRun quiet)"
    else
        fail "mpesa_recon_last_successful_run_timestamp_seconds after the run: ${last_run:-missing}"
    fi
fi

section "Summary"
printf 'check-deploy: %s in %ss\n' "$([ "$failures" = 0 ] && echo "PASS (every check)" || echo "FAIL ($failures check(s))")" \
    "$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
[ "$failures" = 0 ]
