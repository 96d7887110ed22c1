#!/usr/bin/env bash
# Fuzz the client-frame parser (emcee::protocol::client::parse) for a bounded
# time. Exits non-zero if libFuzzer finds a crash (a panic, a sanitizer report,
# a timeout or an out-of-memory), after printing the input that caused it.
#
#   bash fuzz/run.sh [SECONDS]        default 60
#
# Works on the stable toolchain: cargo-fuzz passes nightly-only rustc flags
# (-Zsanitizer=address, ...), which RUSTC_BOOTSTRAP=1 lets stable accept.
#
# Environment:
#   FUZZ_SANITIZER  address (default) or none: none builds faster and runs
#                   faster, but catches only panics, not memory errors
#   FUZZ_TARGET     fuzz target name (default client_frame)
#   FUZZ_ARGS       extra libFuzzer flags, e.g. "-seed=1 -jobs=2"
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
DURATION=${1:-60}
TARGET=${FUZZ_TARGET:-client_frame}
SANITIZER=${FUZZ_SANITIZER:-address}

case "$DURATION" in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")"
FUZZ_DIR=$(pwd)

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
echo "== $(cargo fuzz --version), $(rustc --version)"

# Seeds are kept in git; what the fuzzer finds goes to a working corpus under
# target/ (git-ignored, and kept between local runs with the build).
SEEDS=$FUZZ_DIR/corpus/$TARGET
WORK=$FUZZ_DIR/target/corpus/$TARGET
ARTIFACTS=$FUZZ_DIR/artifacts/$TARGET
mkdir -p "$WORK" "$ARTIFACTS"
before=$(ls -A "$ARTIFACTS" | sort)

echo "== building $TARGET (sanitizer: $SANITIZER)"
start=$(date +%s)
cargo fuzz build --sanitizer "$SANITIZER" "$TARGET"
echo "== build took $(($(date +%s) - start)) s"

DICT=()
if [[ -f $FUZZ_DIR/$TARGET.dict ]]; then
    DICT=("-dict=$FUZZ_DIR/$TARGET.dict")
fi

echo "== fuzzing $TARGET for $DURATION s"
status=0
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
cargo fuzz run --sanitizer "$SANITIZER" "$TARGET" "$WORK" "$SEEDS" -- \
    -max_total_time="$DURATION" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${DICT[@]}" ${FUZZ_ARGS:-} || status=$?

new=$(comm -13 <(echo "$before") <(ls -A "$ARTIFACTS" | sort) | sed '/^$/d')
if [[ $status -ne 0 || -n $new ]]; then
    echo "== FAILED: cargo fuzz exited $status" >&2
    for f in $new; do
        echo "-- $ARTIFACTS/$f ($(wc -c <"$ARTIFACTS/$f") bytes), as bytes:" >&2
        od -c "$ARTIFACTS/$f" | head -40 >&2
        echo "-- replay: RUSTC_BOOTSTRAP=1 cargo fuzz run $TARGET $ARTIFACTS/$f" >&2
    done
    exit 1
fi
echo "== no crash in $DURATION s"
