#!/usr/bin/env bash
# Autobahn WebSocket TestSuite (sections 1-7, 9, 10) against emcee's
# diagnostic echo endpoint, driven by kosoku (the Autobahn case files on
# Python 3). Builds emcee (release), starts it on 127.0.0.1 with
# EMCEE_WS_ECHO=1, runs the cases, writes the report, prints a summary and
# exits non-zero if any case FAILED. See docs/conformance.md.
#
# Environment (all optional):
#   EMCEE_BIN           use this emcee binary instead of building one
#   AUTOBAHN_PROFILE    cargo profile to build: release (default) or debug
#                       (reuses what `cargo test` built; the run passes alike)
#   AUTOBAHN_REPORT_DIR report directory, emptied first (default conformance/reports)
#   AUTOBAHN_CASES      space-separated case globs (default: the sections above)
#   AUTOBAHN_MAX_MESSAGE  EMCEE_WS_MAX_MESSAGE for the run (default 16 MiB,
#                       the largest message in section 9)
#   AUTOBAHN_PARALLEL   cases run at once (default 2)
#   AUTOBAHN_MARKDOWN   also write the per-case Markdown table to this file
#   PYTHON              Python 3.10+ used to install kosoku (default python3)
set -euo pipefail

KOSOKU_VERSION=0.1.0

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

python=${PYTHON:-python3}
report_dir=${AUTOBAHN_REPORT_DIR:-$here/reports}
cases=${AUTOBAHN_CASES:-"1.* 2.* 3.* 4.* 5.* 6.* 7.* 9.* 10.*"}
max_message=${AUTOBAHN_MAX_MESSAGE:-16777216}
parallel=${AUTOBAHN_PARALLEL:-2}

# --- kosoku, pinned, in conformance/.venv (a --target directory if venv is missing)
venv=$here/.venv
kosoku=()
installed_version() {
    "$1" -c 'import importlib.metadata as m; print(m.version("kosoku"))' 2>/dev/null || true
}
if [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >/dev/null 2>&1; then
    if [ "$(installed_version "$venv/bin/python")" != "$KOSOKU_VERSION" ]; then
        echo "== installing kosoku $KOSOKU_VERSION into $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "kosoku==$KOSOKU_VERSION"
    fi
    kosoku=("$venv/bin/python")
else
    rm -rf "$venv"
    deps=$here/.pydeps
    if [ "$(PYTHONPATH=$deps installed_version "$python")" != "$KOSOKU_VERSION" ]; then
        echo "== installing kosoku $KOSOKU_VERSION into $deps (no venv module)"
        "$python" -m pip install --quiet --disable-pip-version-check --upgrade --target "$deps" \
            "kosoku==$KOSOKU_VERSION"
    fi
    export PYTHONPATH="$deps${PYTHONPATH:+:$PYTHONPATH}"
    kosoku=("$python")
fi
kosoku+=(-c 'import sys; from kosoku._cli import main; sys.argv[0] = "kosoku"; main()')

# --- emcee
if [ -n "${EMCEE_BIN:-}" ]; then
    bin=$EMCEE_BIN
else
    profile=${AUTOBAHN_PROFILE:-release}
    echo "== building emcee ($profile)"
    case $profile in
        release) cargo build --release --quiet --bin emcee ;;
        debug) cargo build --quiet --bin emcee ;;
        *) echo "AUTOBAHN_PROFILE must be release or debug" >&2; exit 2 ;;
    esac
    bin=${CARGO_TARGET_DIR:-$root/target}/$profile/emcee
fi

work=$(mktemp -d)
server_pid=
stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Created here: the server's redirections open them only after the fork.
: >"$work/stdout"
: >"$work/stderr"
# Heartbeat pings are pushed far out so none lands inside a case's exchange.
EMCEE_WS_ECHO=1 \
    EMCEE_WS_MAX_MESSAGE="$max_message" \
    EMCEE_HEARTBEAT_SECS=300 \
    EMCEE_CLIENT_TIMEOUT_SECS=600 \
    DATABASE_URL="sqlite://$work/emcee.db?mode=rwc" \
    RUST_LOG=${AUTOBAHN_SERVER_LOG:-warn} \
    "$bin" serve --bind 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!

port=
for _ in $(seq 300); do
    port=$(sed -n 's|^emcee listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/stdout" | head -n1)
    [ -n "$port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "emcee did not start:" >&2
    cat "$work/stdout" "$work/stderr" >&2
    exit 1
fi
url="ws://127.0.0.1:$port/ws/echo"
echo "== emcee on $url (EMCEE_WS_MAX_MESSAGE=$max_message)"

# --- the run
include=()
for c in $cases; do include+=(-i "$c"); done
rm -rf "$report_dir"
mkdir -p "$report_dir"
echo "== kosoku $KOSOKU_VERSION: ${cases} (parallelism $parallel)"
start=$(date +%s.%N)
set +e
timeout 600 "${kosoku[@]}" "$url" "${include[@]}" -p "$parallel" -o "$report_dir" >"$work/kosoku.log" 2>&1
kosoku_rc=$?
set -e
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
stop_server

if [ ! -f "$report_dir/index.json" ]; then
    echo "kosoku wrote no report (exit $kosoku_rc):" >&2
    tail -n 50 "$work/kosoku.log" >&2
    echo "-- server stderr" >&2
    tail -n 50 "$work/stderr" >&2
    exit 1
fi
echo "== results (${elapsed}s; report in $report_dir/index.html)"
summary=("$python" "$here/summary.py" "$report_dir")
[ -n "${AUTOBAHN_MARKDOWN:-}" ] && summary+=(--markdown "$AUTOBAHN_MARKDOWN")
if ! "${summary[@]}"; then
    echo "-- kosoku" >&2
    tail -n 20 "$work/kosoku.log" >&2
    exit 1
fi
# kosoku exits 1 when a case does not pass by its own rule (which also
# counts UNIMPLEMENTED as not passing); summary.py has judged the verdicts
# above, so only another exit (a crash, the time-out) is an error here.
if [ "$kosoku_rc" -ne 0 ] && [ "$kosoku_rc" -ne 1 ]; then
    echo "kosoku exited $kosoku_rc:" >&2
    tail -n 20 "$work/kosoku.log" >&2
    exit 1
fi
