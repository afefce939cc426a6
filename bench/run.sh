#!/usr/bin/env bash
# Times atlas-kb against Hugo and a `cp -r` floor on generated corpora, and prints one
# markdown table (for BENCHMARKS.md).
#
#   bench/run.sh                 # 1k, 10k and 100k pages
#   bench/run.sh 1000 10000      # chosen sizes (or BENCH_SIZES="1000 10000")
#
# Environment: BENCH_ONE_SIDED=K (generate with `--one-sided K`: each technique, mitigation
# and tactic lists K pages that do not list it back, about 0.75*K asymmetric-relation warnings
# per page, and time `check` in every report format), BENCH_DIR (work folder; default a fresh
# `mktemp -d` under ${TMPDIR:-/tmp},
# removed at the end, so two runs never share files), BENCH_RUNS (runs per measurement, median
# reported; default 3), BENCH_SEED (default 1). Every output is kept until the script ends:
# 1k, 10k and 100k together need ~20 GB free.
#
# Where the files live matters: on a VM disk, creating the ~20k files of a 10k-page site can
# cost more than rendering them (cp -r alone took 10-15 s of system time on ext4 here, 0.5 s on
# tmpfs). BENCH_DIR=/dev/shm/atlas-kb-bench measures the tools rather than the disk (the 100k
# run needs ~8 GB there). Nothing else should run meanwhile: the machine has few cores.
#
# Each size N: `gen_corpus --pages N` writes the vault and the same pages as a Hugo site; then,
# with a release build, each command runs BENCH_RUNS times under /usr/bin/time -v:
#   check          atlas-kb check --root kb          (exits 1: the corpus has planted broken links)
#   build (fresh)  atlas-kb build into a folder that does not exist
#   build (again)  atlas-kb build over its previous output
#   hugo           hugo on the same pages into a fresh folder
#   cp -r (floor)  copying the built site to a fresh folder
# Wall is the median wall time, CPU the median user+sys, RSS the median peak resident set.
# Also runs check and build on ../shared/corpora/ai-redteam-kb when it exists.
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
if [ "$#" -gt 0 ]; then
    sizes="$*"
else
    sizes=${BENCH_SIZES:-"1000 10000 100000"}
fi
runs=${BENCH_RUNS:-3}
one_sided=${BENCH_ONE_SIDED:-0}
corpus_label="generated"
gen_extra=()
if [ "$one_sided" != 0 ]; then
    corpus_label="generated, $one_sided one-sided"
    gen_extra=(--one-sided "$one_sided")
fi
seed=${BENCH_SEED:-1}
# shellcheck source=bench/common.sh
source "$project/bench/common.sh"
work_folder bench
if [ "$work_is_temporary" = yes ]; then
    trap 'rm -rf "$work"' EXIT
fi

if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is missing; install it with: apt-get install -y time" >&2
    exit 2
fi
have_hugo=yes
if ! command -v hugo >/dev/null 2>&1; then
    have_hugo=no
    echo "bench: hugo is not installed, so the Hugo rows are skipped;" \
        "install it with: apt-get install -y hugo" >&2
fi

release_binaries bench

mkdir -p "$work"
# atlas-kb build reads theme overrides from the current folder: run where there are none.
cd "$work"

rows=()
ms=()  # per-row median wall in ms, to compute ratios

# measure LABEL PREP CMD...: runs PREP (untimed, may be ":") then CMD, $runs times; `{run}` in
# CMD's arguments becomes the run's number, so each run can write a folder of its own.
# Sets wall_ms, cpu_ms, rss_kb (medians).
measure() {
    local label=$1 prep=$2
    shift 2
    local walls=() cpus=() rsss=() i t0 t1 out status arg args
    for ((i = 1; i <= runs; i++)); do
        # Each run starts with nothing left to write back: otherwise a tool pays for the
        # gigabytes of dirty pages the previous one (often Hugo) left, and the kernel
        # throttles its writes while flushing them.
        sync
        eval "$prep"
        args=()
        for arg in "$@"; do args+=("${arg//\{run\}/$i}"); done
        out=$(mktemp)
        t0=$(date +%s%N)
        status=0
        /usr/bin/time -v -o "$out" "${args[@]}" >/dev/null 2>"$out.err" || status=$?
        t1=$(date +%s%N)
        if [ "$status" -gt 1 ]; then
            echo "bench: $label failed (exit $status):" >&2
            tail -5 "$out.err" >&2
            exit 1
        fi
        walls+=($(((t1 - t0) / 1000000)))
        cpus+=("$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%d", (u+s)*1000}' "$out")")
        rsss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")")
        rm -f "$out" "$out.err"
    done
    wall_ms=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    cpu_ms=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    rss_kb=$(printf '%s\n' "${rsss[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    echo "bench:   $label: ${wall_ms} ms wall, ${cpu_ms} ms CPU, $((rss_kb / 1024)) MiB" >&2
}

# row CORPUS PAGES COMMAND HUGO_MS FLOOR_MS: one table row from the last measurement.
row() {
    local corpus=$1 pages=$2 command=$3 hugo_ms=$4 floor_ms=$5
    rows+=("$(awk -v c="$corpus" -v p="$pages" -v cmd="$command" -v w="$wall_ms" -v cpu="$cpu_ms" \
        -v rss="$rss_kb" -v h="$hugo_ms" -v f="$floor_ms" 'BEGIN {
            ratio_h = (h == "" || h == 0) ? "–" : sprintf("%.2f", w / h);
            ratio_f = (f == "" || f == 0) ? "–" : sprintf("%.1f", w / f);
            pps = (w > 0) ? sprintf("%.0f", p / (w / 1000)) : "–";
            printf "| %s | %s | %s | %.2f | %.2f | %.0f | %s | %s | %s |", c, p, cmd,
                w / 1000, cpu / 1000, rss / 1024, pps, ratio_h, ratio_f }')")
}

for n in $sizes; do
    dir="$work/$n"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "bench: generating $n pages in $dir" >&2
    "$gen" --pages "$n" --seed "$seed" --out "$dir/kb" "${gen_extra[@]}"
    "$gen" --pages "$n" --seed "$seed" --out "$dir/hugo" --hugo "${gen_extra[@]}" 2>/dev/null

    # Nothing is deleted between timed runs: every fresh build, Hugo run and copy writes a
    # folder that never existed, and the only run that deletes (a rebuild removes the previous
    # build) comes last. See "Deleting before measuring" in BENCHMARKS.md.
    measure "check" ":" "$atlas" check --root "$dir/kb"
    check_m=("$wall_ms" "$cpu_ms" "$rss_kb")
    format_rows=()
    if [ "$one_sided" != 0 ]; then
        for format in json jsonl github sarif; do
            measure "check --format $format" ":" "$atlas" check --root "$dir/kb" --format "$format"
            format_rows+=("$format $wall_ms $cpu_ms $rss_kb")
        done
    fi
    hugo_ms=""
    if [ "$have_hugo" = yes ]; then
        measure "hugo" ":" \
            hugo --quiet --source "$dir/hugo" --destination "$dir/hugo/public.{run}"
        hugo_m=("$wall_ms" "$cpu_ms" "$rss_kb")
        hugo_ms=$wall_ms
    fi
    measure "build (fresh)" ":" "$atlas" build --root "$dir/kb" --out "$dir/out.{run}"
    fresh_m=("$wall_ms" "$cpu_ms" "$rss_kb")
    measure "cp -r" ":" cp -r "$dir/out.1" "$dir/copy.{run}"
    floor_m=("$wall_ms" "$cpu_ms" "$rss_kb")
    floor_ms=$wall_ms
    measure "build (again)" ":" "$atlas" build --root "$dir/kb" --out "$dir/out.1"
    again_m=("$wall_ms" "$cpu_ms" "$rss_kb")

    set_m() { wall_ms=$1 cpu_ms=$2 rss_kb=$3; }
    set_m "${check_m[@]}"
    row "$corpus_label" "$n" "atlas-kb check" "$hugo_ms" "$floor_ms"
    for format_row in "${format_rows[@]}"; do
        read -r format wall_ms cpu_ms rss_kb <<<"$format_row"
        row "$corpus_label" "$n" "atlas-kb check --format $format" "$hugo_ms" "$floor_ms"
    done
    set_m "${fresh_m[@]}"
    row "$corpus_label" "$n" "atlas-kb build, fresh folder" "$hugo_ms" "$floor_ms"
    set_m "${again_m[@]}"
    row "$corpus_label" "$n" "atlas-kb build, over previous output" "$hugo_ms" "$floor_ms"
    if [ "$have_hugo" = yes ]; then
        set_m "${hugo_m[@]}"
        row "$corpus_label" "$n" "hugo" "$hugo_ms" "$floor_ms"
    fi
    set_m "${floor_m[@]}"
    row "$corpus_label" "$n" "cp -r of the built site (floor)" "$hugo_ms" "$floor_ms"
    # Outputs stay until the end: ext4 without a journal skips inodes freed in the last
    # 60-360 s when it allocates, so deleting here would slow the next size's runs.
done

if real=$(cd "$project/../shared/corpora/ai-redteam-kb" 2>/dev/null && pwd); then
    pages=$(find "$real" -name '*.md' -not -path '*/.*' | wc -l)
    echo "bench: ai-redteam-kb ($pages pages)" >&2
    measure "check" ":" "$atlas" check --root "$real"
    row "ai-redteam-kb" "$pages" "atlas-kb check" "" ""
    measure "build (fresh)" ":" "$atlas" build --root "$real" --out "$work/real-out.{run}"
    row "ai-redteam-kb" "$pages" "atlas-kb build, fresh folder" "" ""
    rm -rf "$work"/real-out.*
else
    echo "bench: ../shared/corpora/ai-redteam-kb not found; skipped" >&2
fi

cpus=$(nproc 2>/dev/null || echo "?")
mem=$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo "?")
hugo_version=$([ "$have_hugo" = yes ] && hugo version | awk '{print $2}' || echo "not installed")
echo
echo "atlas-kb $(git -C "$project" rev-parse --short HEAD 2>/dev/null || echo '?'), release build;" \
    "hugo $hugo_version; $cpus CPUs, $mem RAM; median of $runs runs; seed $seed."
echo
echo "| corpus | pages | command | wall (s) | CPU user+sys (s) | peak RSS (MiB) | pages/s | × Hugo | × floor |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
