#!/usr/bin/env bash
# How big the offline search data is beside the HTML it indexes, on five corpora: the shipped
# content/, the official ATLAS release imported, the public vault in ../shared, and generated
# vaults of 10k and 100k pages. Prints one markdown table (for BENCHMARKS.md).
#
#   bench/search-size.sh                # all five
#   BENCH_SIZES="10000" bench/search-size.sh
#
# Environment: BENCH_DIR (work folder; default a fresh `mktemp -d`, removed at the end),
# BENCH_SIZES (generated sizes; default "10000 100000"), BENCH_SEED (default 1).
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
sizes=${BENCH_SIZES:-"10000 100000"}
seed=${BENCH_SEED:-1}
# shellcheck source=bench/common.sh
source "$project/bench/common.sh"
work_folder search
if [ "$work_is_temporary" = yes ]; then
    trap 'rm -rf "$work"' EXIT
fi

release_binaries search-size
# atlas-kb build reads theme overrides from the current folder: run where there are none.
cd "$work"

bytes() { find "$@" -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1; }

# measure LABEL ROOT: builds ROOT and prints its table row.
measure() {
    local label=$1 root=$2 out="$work/site" pages html search terms texts
    rm -rf "$out"
    "$atlas" build --root "$root" --out "$out" >/dev/null 2>&1 || {
        echo "search-size: building $label failed" >&2
        exit 1
    }
    pages=$(wc -l <"$out/_atlas/search/docs.js")
    html=$(find "$out" -name '*.html' -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
    search=$(bytes "$out/_atlas/search")
    terms=$(bytes "$out/_atlas/search/t")
    texts=$(bytes "$out/_atlas/search/p")
    awk -v l="$label" -v p="$pages" -v h="$html" -v s="$search" -v t="$terms" -v x="$texts" \
        -v d="$((search - terms - texts))" 'BEGIN {
        printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f%% |\n", l, p, h / 1e6,
            s / 1e6, d / 1e6, t / 1e6, x / 1e6, 100 * s / h }'
    rm -rf "$out"
}

echo "| corpus | pages | HTML (MB) | search data (MB) | docs.js | index shards | text buckets | data / HTML |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
measure "shipped content/" "$project/content"
if yaml=$(cd "$project/../shared/corpora/atlas-data" 2>/dev/null && pwd)/ATLAS.yaml && [ -f "$yaml" ]; then
    rm -rf "$work/atlas"
    "$atlas" import "$yaml" --out "$work/atlas" >/dev/null 2>&1
    measure "ATLAS.yaml, imported" "$work/atlas"
else
    echo "search-size: ../shared/corpora/atlas-data/ATLAS.yaml not found; skipped" >&2
fi
if vault=$(cd "$project/../shared/corpora/ai-redteam-kb" 2>/dev/null && pwd); then
    measure "ai-redteam-kb" "$vault"
else
    echo "search-size: ../shared/corpora/ai-redteam-kb not found; skipped" >&2
fi
each_generated "$sizes" "$seed" "$work" measure
