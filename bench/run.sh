#!/usr/bin/env bash
# End-to-end benchmark of the ck8s-gen binary (process start to files written) over synthetic
# fleets, against the floor of copying the same tree with `cp -r`, plus peak memory.
# Prints a Markdown table.
#
#   bash bench/run.sh                 # N = 1, 100, 1000, 10000
#   SIZES="1 1000" bash bench/run.sh  # chosen sizes
#   PLUGIN_SIZES="1 1000 10000"       # directories for `argocd generate` of one environment (default)
#   SIZES= PLUGIN_SIZES=1000 bash bench/run.sh   # only the plugin rows, one directory size
#   BENCH_DIR=/dev/shm bash bench/run.sh   # where the fleets are written (default: $TMPDIR or /tmp)
#
# Uses hyperfine when installed (apt-get install hyperfine), else a timing loop; peak memory
# with GNU time (apt-get install time) when installed.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${SIZES-1 100 1000 10000}"
plugin_sizes="${PLUGIN_SIZES-1 1000 10000}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --release --locked --bin ck8s-gen --example gen-fleet
bin="$(realpath "$target/release/ck8s-gen")"
gen="$(realpath "$target/release/examples/gen-fleet")"
work="$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}")"
trap 'rm -rf "$work"' EXIT
export CK8S_GEN_TODAY=2026-11-25 NO_COLOR=1
# The render record (`crate::cache`) of each fleet lives with the fleet, not in the caller's home.
export CK8S_GEN_CACHE_DIR="$work/cache"

has_render=false
if "$bin" render --help >/dev/null 2>&1; then has_render=true; fi
no_cache=""   # an older binary (side-by-side runs) has no render record
if "$bin" render --help 2>/dev/null | grep -q -- --no-cache; then no_cache="--no-cache"; fi

# Median wall time of a command in milliseconds. $1: runs, $2: prepare command for a shell
# (may be ""), $3: the command, a plain word list run without a shell (paths without spaces).
time_ms() {
    local runs="$1" prepare="$2" cmd="$3"
    if command -v hyperfine >/dev/null; then
        local args=(--style none --shell none --warmup 1 --runs "$runs" --export-json "$work/h.json")
        if [ -n "$prepare" ]; then args+=(--prepare "$prepare"); fi
        hyperfine "${args[@]}" "$cmd" >/dev/null 2>>"$work/hyperfine.log"
        python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
    else
        local samples=()
        for _ in $(seq "$runs"); do
            if [ -n "$prepare" ]; then bash -c "$prepare"; fi
            local t0 t1
            t0=$(date +%s%N)
            $cmd >/dev/null 2>&1 || true
            t1=$(date +%s%N)
            samples+=($(( (t1 - t0) / 1000 )))
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'
    fi
}

# Peak resident memory in MB of a command.
peak_mb() {
    if [ -x /usr/bin/time ]; then
        # shellcheck disable=SC2086 # the command is a plain word list
        /usr/bin/time -f '%M' -o "$work/mem" $1 >/dev/null 2>&1 || true
        awk '{printf "%.1f\n", $1/1024}' "$work/mem"
    else
        echo "n/a"
    fi
}

runs_for() { # fewer runs for big fleets
    if [ "$1" -ge 10000 ]; then echo 3; elif [ "$1" -ge 1000 ]; then echo 10; else echo 30; fi
}

echo "ck8s-gen end-to-end benchmark: $(nproc) cores, $(uname -m), $("$bin" --version), fleets in $(df --output=fstype "$work" | tail -1) ($work)"
echo
if [ -n "$sizes" ]; then
if $has_render; then
    echo "| N | validate ms | render ms | render ms/env | cp -r of the rendered tree ms | files written | no-change render ms | no-change render --no-cache ms | read inputs and outputs ms | peak RSS validate MB | peak RSS render MB |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
else
    echo "| N | validate ms | validate ms/env | cp -r of the environments ms | peak RSS validate MB |"
    echo "|---:|---:|---:|---:|---:|"
fi
for n in $sizes; do
    dir="$work/$n"
    "$gen" "$n" "$dir/environments"
    runs="$(runs_for "$n")"
    validate_cmd="$bin validate --dir $dir/environments"
    if ! (cd "$dir" && "$bin" validate --dir environments >/dev/null 2>"$work/validate.err"); then
        echo "validate failed on the synthetic fleet of $n:" >&2
        tail -20 "$work/validate.err" >&2
        exit 1
    fi
    v="$(time_ms "$runs" "" "$validate_cmd")"
    vm="$(peak_mb "$validate_cmd")"
    if $has_render; then
        render_cmd="$bin render --dir $dir/environments --out $dir/rendered"
        r="$(time_ms "$runs" "rm -rf '$dir/rendered'" "$render_cmd")"
        rm -rf "$dir/rendered"
        rm_="$(peak_mb "$render_cmd")"
        files="$(find "$dir/rendered" -type f | wc -l)"
        # A second render of an unchanged fleet (writes nothing; with its render record, and
        # rendering everything again) against the floor of just reading every input and output
        # file once.
        u="$(time_ms "$runs" "" "$render_cmd")"
        if [ -n "$no_cache" ]; then un="$(time_ms "$runs" "" "$render_cmd $no_cache")"; else un="$u"; fi
        printf 'find %s/environments %s/rendered -type f -exec cat {} + >/dev/null\n' "$dir" "$dir" >"$work/read.sh"
        f="$(time_ms "$runs" "" "bash $work/read.sh")"
        c="$(time_ms "$runs" "rm -rf '$dir/copy'" "cp -r $dir/rendered $dir/copy")"
        per="$(awk -v t="$r" -v n="$n" 'BEGIN {printf "%.3f", t/n}')"
        echo "| $n | $v | $r | $per | $c | $files | $u | $un | $f | $vm | $rm_ |"
        rm -rf "$dir/rendered" "$dir/copy"
    else
        c="$(time_ms "$runs" "rm -rf '$dir/copy'" "cp -r $dir/environments $dir/copy")"
        per="$(awk -v t="$v" -v n="$n" 'BEGIN {printf "%.3f", t/n}')"
        echo "| $n | $v | $per | $c | $vm |"
    fi
    rm -rf "$dir"
done
echo
echo "Median wall time of the whole process (start to files written), $(command -v hyperfine >/dev/null && echo hyperfine || echo 'a date loop')."
fi

# The Argo CD plugin: Argo CD runs `argocd generate` once per Application and on every refresh,
# so one environment's cost must not grow with the directory. The same environments (names are
# fixed by their index in the synthetic fleet) in directories of 1, 1,000 and 10,000:
#   prod-safespring-00002  a workload without off-site replication (its file and common.yaml)
#   prod-elastx-00042      a workload whose off-site replication mgmt-elastx-g0001 runs
#   mgmt-citycloud-g0002   a management environment (it runs the off-site sync jobs of 15 workloads)
# The directory of 1 holds only prod-safespring-00002 (the others need a second file).
if [ -n "$plugin_sizes" ]; then
    echo
    echo "| environment | directory of | argocd generate ms | peak RSS MB | stdout bytes |"
    echo "|---|---:|---:|---:|---:|"
    for n in $plugin_sizes; do
        dir="$work/plugin-$n"
        if [ "$n" -eq 1 ]; then
            "$gen" 3 "$dir/environments"
            rm "$dir/environments/dev-safespring-00000.yaml" "$dir/environments/staging-safespring-00001.yaml"
            chosen="prod-safespring-00002"
        else
            "$gen" "$n" "$dir/environments"
            chosen="prod-safespring-00002 prod-elastx-00042 mgmt-citycloud-g0002"
        fi
        count="$(find "$dir/environments" -name '*.yaml' ! -name common.yaml | wc -l)"
        runs="$(runs_for "$n")"
        cmd="$bin argocd generate"
        for e in $chosen; do
            if ! (cd "$dir" && ARGOCD_ENV_ENVIRONMENT="$e" $cmd >"$work/plugin.out" 2>"$work/plugin.err"); then
                echo "argocd generate $e failed in the synthetic directory of $count:" >&2
                tail -20 "$work/plugin.err" >&2
                exit 1
            fi
            bytes="$(wc -c <"$work/plugin.out")"
            t="$(cd "$dir" && ARGOCD_ENV_ENVIRONMENT="$e" time_ms "$runs" "" "$cmd")"
            m="$(cd "$dir" && ARGOCD_ENV_ENVIRONMENT="$e" peak_mb "$cmd")"
            echo "| $e | $count | $t | $m | $bytes |"
        done
        rm -rf "$dir"
    done
    echo
    echo "argocd generate: ARGOCD_ENV_ENVIRONMENT=<environment>, run in the directory's parent (default ARGOCD_ENV_DIR=environments)."
fi
