# Sourced by scripts/api-fuzz.sh and scripts/console-test.sh: a fresh database on the local cluster, the Daraja
# simulator and `mpesa-recon serve` on loopback, all stopped (and the database dropped) when the script exits.
# The caller sets `out` (a scratch folder), `bindir` (the build's bin folder) and defines `die`.

# stack_fresh_db PORT DB: starts the cluster if needed, makes DB anew; sets `admin` and `url`.
stack_fresh_db() {
    admin=$(scripts/pg.sh start "$1")
    stack_db=$2
    url="postgresql://postgres@127.0.0.1:$1/$2"
    psql -qX "$admin" -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null 2>&1
}

sim_pid=""
serve_pid=""
stack_cleanup() {
    local status=$?
    for pid in $serve_pid $sim_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "${stack_db:-}" ]; then
        psql -qX "$admin" -c "DROP DATABASE IF EXISTS $stack_db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    exit "$status"
}
trap stack_cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# stack_start_sim: daraja-sim on a free port; sets `sim` (its base URL) and `sim_pid`.
stack_start_sim() {
    rm -f "$out/sim.port"
    (cd "$out" && exec "$bindir/daraja-sim" --host 127.0.0.1 --port 0 --port-file "$out/sim.port" >"$out/sim.log" 2>&1) &
    sim_pid=$!
    for _ in $(seq 1 200); do
        [ -s "$out/sim.port" ] && break
        kill -0 "$sim_pid" 2>/dev/null || { cat "$out/sim.log" >&2; die "daraja-sim exited"; }
        sleep 0.1
    done
    [ -s "$out/sim.port" ] || die "daraja-sim did not report its port"
    sim="http://127.0.0.1:$(tr -d '[:space:]' <"$out/sim.port")"
}

# stack_start_serve BASE ARGS…: `mpesa-recon serve ARGS…` in the background, logging to $out/serve.log; waits
# until BASE/healthz answers; sets `serve_pid`.
stack_start_serve() {
    local base=$1
    shift
    "$bindir/mpesa-recon" serve "$@" >"$out/serve.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$serve_pid" 2>/dev/null || { cat "$out/serve.log" >&2; die "serve exited"; }
        sleep 0.2
    done
    die "serve did not answer /healthz"
}
