# Sourced by the scripts in bench/ (with `project` set to the project folder): what they share.

# work_folder NAME: sets `work` to BENCH_DIR (made if missing) or else to a fresh folder named
# for NAME under TMPDIR, and `work_is_temporary` to yes for the latter (the caller removes it).
work_folder() {
    if [ -n "${BENCH_DIR:-}" ]; then
        work=$BENCH_DIR
        mkdir -p "$work"
        work_is_temporary=no
    else
        work=$(mktemp -d "${TMPDIR:-/tmp}/atlas-kb-$1.XXXXXX")
        work_is_temporary=yes
    fi
}

# release_binaries NAME: builds the release binaries and sets `atlas` and `gen` to the
# atlas-kb binary and the corpus generator; NAME prefixes the progress line.
release_binaries() {
    echo "$1: building release binaries..." >&2
    (cd "$project" && cargo build --release --quiet --bin atlas-kb --example gen_corpus)
    local target_dir
    target_dir=$(cd "$project" && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    atlas="$target_dir/release/atlas-kb"
    gen="$target_dir/release/examples/gen_corpus"
}

# each_generated SIZES SEED WORK MEASURE: for each size, generates a vault of that many pages
# in WORK/gen, runs `MEASURE generated WORK/gen`, and removes it.
each_generated() {
    local sizes=$1 seed=$2 work=$3 measure=$4 n
    for n in $sizes; do
        rm -rf "$work/gen"
        "$gen" --pages "$n" --seed "$seed" --out "$work/gen" >/dev/null 2>&1
        "$measure" "generated" "$work/gen"
        rm -rf "$work/gen"
    done
}
