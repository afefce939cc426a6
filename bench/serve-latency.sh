#!/usr/bin/env bash
# Time from saving a file to the reload event of `atlas-kb serve`, for three edits: one
# page's text, one page's title, a new page. Runs on the public vault in ../shared and on
# generated vaults (a copy of each, so the edits touch nothing else). Prints one markdown table
# (for BENCHMARKS.md).
#
#   bench/serve-latency.sh                       # ai-redteam-kb, 10k and 100k
#   BENCH_SIZES="10000" bench/serve-latency.sh
#
# Environment: BENCH_DIR (work folder; default a fresh `mktemp -d`, removed at the end),
# BENCH_SIZES (generated sizes; default "10000 100000"), BENCH_RUNS (edits of each kind;
# the median is shown; default 3), BENCH_SEED (default 1). Needs curl.
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
sizes=${BENCH_SIZES:-"10000 100000"}
runs=${BENCH_RUNS:-3}
seed=${BENCH_SEED:-1}
# shellcheck source=bench/common.sh
source "$project/bench/common.sh"
work_folder serve
server=""
listener=""
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null || true
    [ -n "$server" ] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    [ "$work_is_temporary" = yes ] && rm -rf "$work"
    return 0
}
trap cleanup EXIT

release_binaries serve-latency
cd "$work"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# time_edit COMMAND...: runs COMMAND (an edit) and prints the ms until the next reload event.
time_edit() {
    local before t0
    before=$(wc -l <"$work/reloads")
    t0=$(now_ms)
    "$@"
    while [ "$(wc -l <"$work/reloads")" -eq "$before" ]; do
        if [ $(($(now_ms) - t0)) -gt 600000 ]; then
            echo "serve-latency: no reload within 10 minutes" >&2
            exit 1
        fi
        sleep 0.005
    done
    echo $(($(tail -1 "$work/reloads") - t0))
}

median() { sort -n | sed -n "$(((runs + 1) / 2))p"; }

# measure LABEL ROOT: serves ROOT and times each kind of edit, $runs times each.
measure() {
    local label=$1 root=$2 pages page title_line i text_ms title_ms new_ms address
    pages=$(find "$root" -name '*.md' -not -path '*/.*' | wc -l)
    # A page with front matter and a title, and some room for new ones.
    # (sed, not head, reads to the end: an early exit would break the pipe under pipefail)
    page=$(grep -rl --include='*.md' '^title:' "$root" | sort | sed -n 1p)
    : >"$work/reloads"
    "$atlas" serve --root "$root" --port 0 2>"$work/serve.log" &
    server=$!
    until address=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" 2>/dev/null); do
        kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
        sleep 0.05
    done
    curl -sN "$address/_atlas-serve/events" | while read -r line; do
        [ "${line%$'\r'}" = "event: reload" ] && now_ms >>"$work/reloads"
    done &
    listener=$!
    sleep 0.5
    text_ms=$(for i in $(seq "$runs"); do
        time_edit sh -c "printf '\nAn edit, number %s.\n' $i >>'$page'"
    done | median)
    title_ms=$(for i in $(seq "$runs"); do
        time_edit sed -i "0,/^title:.*/s//title: \"Retitled $i\"/" "$page"
    done | median)
    new_ms=$(for i in $(seq "$runs"); do
        time_edit sh -c "printf -- '---\ntitle: New page $i\n---\nLinks to [[$(basename "$page" .md)]].\n' >'$root/new-page-$i.md'"
    done | median)
    kill "$listener" 2>/dev/null || true
    pkill -P "$listener" 2>/dev/null || true
    listener=""
    kill -INT "$server"
    wait "$server" || true
    server=""
    echo "| $label | $pages | $text_ms | $title_ms | $new_ms |"
}

echo "| corpus | pages | one page's text (ms) | a title (ms) | a new page (ms) |"
echo "|---|---:|---:|---:|---:|"
if vault=$(cd "$project/../shared/corpora/ai-redteam-kb" 2>/dev/null && pwd); then
    rm -rf "$work/vault"
    cp -r "$vault" "$work/vault"
    measure "ai-redteam-kb" "$work/vault"
    rm -rf "$work/vault"
else
    echo "serve-latency: ../shared/corpora/ai-redteam-kb not found; skipped" >&2
fi
each_generated "$sizes" "$seed" "$work" measure
