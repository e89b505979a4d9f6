#!/usr/bin/env bash
# Side-by-side redis-benchmark ratios of two servers that are already running.
#
# Usage: bench/compare.sh PORT_A PORT_B [quick|full]     (default: quick)
#        bench/compare.sh --list                         (the workload table's rows)
#
# For each workload of the matrix: one short calibration run on each side sizes the
# request count N so that a run takes about TARGET_S seconds on the slower side; then
# ROUNDS rounds, each running A then B with the same N. A row reports the median ops/s
# of each side, their ratio A/B, the median p99 latency of each side (ms), and the range
# of the per-round ratios A_i/B_i (how noisy the workload was). The last line is the
# geometric mean of the ratios over the workloads that ran.
#
# The servers are never started, stopped or flushed here. The workloads write keys named
# key:<12 digits> (redis-benchmark's own names; at most KEYSPACE of them, values up to
# 32 KiB, so ~330 MB per server with the defaults) and whatever a table row names.
#
# The matrix is the table WORKLOADS_TABLE below; the default matrix is DEFAULT_WORKLOADS,
# the ten workloads the README's figures were measured with, under the same names, columns
# and way of measuring (calibration, A/B alternation, medians), so ratios stay comparable.
# bench/side_by_side.sh starts a pair of servers and runs this script (make bench,
# make bench-ceiling).
#
# Environment knobs (all optional):
#   WORKLOADS        names of table rows to run, in order; "all" for every row
#                    (default: DEFAULT_WORKLOADS)
#   HOST_A, HOST_B   server addresses                  (default 127.0.0.1)
#   CLIENTS          redis-benchmark connections       (default 50)
#   KEYSPACE         redis-benchmark -r                (default 10000)
#   ROUNDS           rounds per workload, at least 3   (quick 3, full 5)
#   TARGET_S         seconds per run, roughly          (quick 0.8, full 3)
#   CLIENT_CPU       run redis-benchmark under `taskset -c CLIENT_CPU`
#   REDIS_BENCHMARK  the redis-benchmark binary        (default redis-benchmark)
#   REDIS_CLI        the redis-cli binary, for setup steps (default redis-cli)
#
# Output columns: workload A_ops/s B_ops/s ratio_A/B A_p99ms B_p99ms round_ratio_range,
# then "geomean ratio_A/B over K workloads: R". A workload that fails on either side
# (a command the server lacks, a timeout) prints NA and is left out of the geomean.
# Exit status: 2 on usage errors, 1 if a server does not answer.
set -euo pipefail

# ---- the workload table ------------------------------------------------------------
# One row per workload: name, kind, size, pipeline, setup, command...
#   kind   test   a redis-benchmark -t test; command = the test name (set, get, mset, ...)
#          mixed  GET and SET at once on one server: two redis-benchmark processes, GET
#                 with 90% of the connections and requests, SET with the other 10%;
#                 ops/s = all requests / wall time of the pair, p99 = the GET side's.
#                 command = -
#          cmd    an arbitrary redis-benchmark command line; command = its words, with
#                 __rand_int__ as redis-benchmark knows it, and {NAME} replaced by a value
#                 a setup step stored with set_value NAME VALUE (a script's SHA1, say).
#   size   value bytes (-d) of test and mixed rows, and of the fill step; 0 if unused
#   pipeline  requests per round trip (-P)
#   setup  - for none, else comma-separated steps run on both servers before the row:
#          fill   every key of the keyspace holds a SIZE-byte value (GETs then hit);
#                 skipped when the previous row filled with the same size
#          WORD   calls setup_WORD HOST PORT SIZE (defined below the table)
# A new kind (HTTP through wrk, say) is one more branch in run_once.
WORKLOADS_TABLE='
set-32B-P1              test   32     1   -     set
get-32B-P1              test   32     1   fill  get
set-4K-P1               test   4096   1   -     set
get-4K-P1               test   4096   1   fill  get
set-32K-P1              test   32768  1   -     set
get-32K-P1              test   32768  1   fill  get
set-4K-P16              test   4096   16  -     set
get-4K-P16              test   4096   16  fill  get
mset-10x1K              test   1024   1   -     mset
mixed-90get10set-4K-P1  mixed  4096   1   fill  -
# Value sizes for persistence (make bench-persist adds them to the default matrix):
# large pages must not make SET collapse next to small ones.
set-1K-P1               test   1024   1   -     set
set-1K-P16              test   1024   16  -     set
set-32K-P16             test   32768  16  -     set
# Not in the default matrix (the README figures stay comparable); examples of the
# other row shapes, run with WORKLOADS=... on servers that have these commands.
# Lists (make bench-lists): the list tests of redis-benchmark, all on one key (mylist);
# lrange_N first pushes the elements it reads (its last CSV row is the LRANGE one).
lpush-32B-P1            test   32     1   -     lpush
rpush-32B-P1            test   32     1   -     rpush
lpop-32B-P1             test   32     1   -     lpop
rpop-32B-P1             test   32     1   -     rpop
lrange-100-32B-P1       test   32     1   -     lrange_100
lrange-600-32B-P1       test   32     1   -     lrange_600
lpush-32B-P16           test   32     16  -     lpush
sadd-P1                 cmd    0      1   -     SADD myset element:__rand_int__
zadd-P1                 cmd    0      1   -     ZADD myzset __rand_int__ element:__rand_int__
# Sorted sets (make bench-zsets): redis-benchmark zadd and zpopmin tests on one key
# (myzset), then single-member reads and writes and ranges on a set of 10000 members
# (bigzset, m000000000000..m000000009999 scored by their number, named as
# __rand_int__ expands with KEYSPACE 10000) that the zfill step builds.
zadd-test-P1            test   0      1   -     zadd
zpopmin-test-P1         test   0      1   -     zpopmin
zadd-P16                cmd    0      16  -     ZADD myzset __rand_int__ element:__rand_int__
zscore-P1               cmd    0      1   zfill  ZSCORE bigzset m__rand_int__
zrank-P1                cmd    0      1   zfill  ZRANK bigzset m__rand_int__
zincrby-P1              cmd    0      1   zfill  ZINCRBY bigzset 1 m__rand_int__
zrange-100-P1           cmd    0      1   zfill  ZRANGE bigzset 0 99 WITHSCORES
zrangebyscore-10-P1     cmd    0      1   zfill  ZRANGEBYSCORE bigzset __rand_int__ +inf LIMIT 0 10
# Hashes (make bench-hashes): the hset test of redis-benchmark (one hash, myhash, that grows
# past the packed form), then session-like hashes of five short fields, one per key
# (session:000000000000..session:000000009999, built by the hfill step): reads and writes
# on the packed form.
hset-test-P1            test   0      1   -     hset
hset-session-P1         cmd    0      1   -     HSET session:__rand_int__ field0 value0 field1 value1 field2 value2 field3 value3 field4 value4
hget-session-P1         cmd    0      1   hfill  HGET session:__rand_int__ field3
hgetall-session-P1      cmd    0      1   hfill  HGETALL session:__rand_int__
hincrby-session-P1      cmd    0      1   hfill  HINCRBY session:__rand_int__ hits 1
evalsha-get-32B-P1      cmd    32     1   fill,script_get  EVALSHA {get_sha} 1 key:__rand_int__
# The rate-limit-redis script (INCR, PTTL, PEXPIRE on a counter per client), run on every hit.
evalsha-ratelimit-P1    cmd    0      1   script_ratelimit  EVALSHA {ratelimit_sha} 1 rl:__rand_int__ 0 60000
'
DEFAULT_WORKLOADS="set-32B-P1 get-32B-P1 set-4K-P1 get-4K-P1 set-32K-P1 get-32K-P1"
DEFAULT_WORKLOADS+=" set-4K-P16 get-4K-P16 mset-10x1K mixed-90get10set-4K-P1"

# setup_script_get HOST PORT SIZE: loads a Lua script that GETs its key; {get_sha}.
setup_script_get() {
  local sha
  sha=$("$CLI" -h "$1" -p "$2" SCRIPT LOAD "return redis.call('GET', KEYS[1])" 2>&1) || true
  set_value get_sha "$sha" '^[0-9a-f]{40}$'
}

# setup_zfill HOST PORT SIZE: bigzset holds a member per KEYSPACE value, named as
# redis-benchmark expands m__rand_int__ (12 digits, zero-padded) and scored by its number
# (one script call; rebuilt from scratch so every row starts from the same set).
setup_zfill() {
  "$CLI" -h "$1" -p "$2" DEL bigzset >/dev/null
  "$CLI" -h "$1" -p "$2" EVAL "for i = 0, tonumber(ARGV[1]) - 1 do
  redis.call('ZADD', KEYS[1], i, string.format('m%012d', i)) end" 1 bigzset "$KEYSPACE" >/dev/null
}

# setup_hfill HOST PORT SIZE: a hash of five short fields per KEYSPACE value, named as
# redis-benchmark expands session:__rand_int__ (one script call, rebuilt from scratch).
setup_hfill() {
  "$CLI" -h "$1" -p "$2" EVAL "for i = 0, tonumber(ARGV[1]) - 1 do
  local k = string.format('session:%012d', i)
  redis.call('DEL', k)
  redis.call('HSET', k, 'field0', 'value0', 'field1', 'value1', 'field2', 'value2',
             'field3', 'value3', 'field4', 'value4') end" 0 "$KEYSPACE" >/dev/null
}

# setup_script_ratelimit HOST PORT SIZE: loads rate-limit-redis's script; {ratelimit_sha}.
setup_script_ratelimit() {
  local sha
  sha=$("$CLI" -h "$1" -p "$2" SCRIPT LOAD 'local totalHits = redis.call("INCR", KEYS[1])
local timeToExpire = redis.call("PTTL", KEYS[1])
if timeToExpire <= 0 or ARGV[1] == "1" then
  redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[2]))
  timeToExpire = tonumber(ARGV[2])
end
return { totalHits, timeToExpire }' 2>&1) || true
  set_value ratelimit_sha "$sha" '^[0-9a-f]{40}$'
}

# ---- arguments and knobs -----------------------------------------------------------
declare -A KIND SIZE PIPELINE SETUP COMMAND
TABLE_ORDER=()
while read -r name kind size pipeline setup command; do
  case $name in '' | '#'*) continue ;; esac
  KIND[$name]=$kind SIZE[$name]=$size PIPELINE[$name]=$pipeline
  SETUP[$name]=$setup COMMAND[$name]=$command
  TABLE_ORDER+=("$name")
done <<<"$WORKLOADS_TABLE"

usage() {
  echo "usage: $0 PORT_A PORT_B [quick|full]   or   $0 --list" >&2
  exit 2
}
if [ "${1:-}" = --list ]; then
  for name in "${TABLE_ORDER[@]}"; do
    case " $DEFAULT_WORKLOADS " in *" $name "*) d=default ;; *) d="" ;; esac
    printf '%-24s %-6s %6s  P%-3s %-17s %-8s %s\n' "$name" "${KIND[$name]}" "${SIZE[$name]}" \
      "${PIPELINE[$name]}" "${SETUP[$name]}" "$d" "${COMMAND[$name]}"
  done
  exit 0
fi
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
PORT_A=$1 PORT_B=$2 MODE=${3:-quick}
case $MODE in
  quick) ROUNDS=${ROUNDS:-3} TARGET_S=${TARGET_S:-0.8} ;;
  full) ROUNDS=${ROUNDS:-5} TARGET_S=${TARGET_S:-3} ;;
  *) usage ;;
esac
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 3 ] || ROUNDS=3
HOST_A=${HOST_A:-127.0.0.1} HOST_B=${HOST_B:-127.0.0.1}
CLIENTS=${CLIENTS:-50} KEYSPACE=${KEYSPACE:-10000}
RB=${REDIS_BENCHMARK:-redis-benchmark} CLI=${REDIS_CLI:-redis-cli}
# Longest a single run may take before it counts as failed.
RUN_LIMIT_S=$(awk -v t="$TARGET_S" 'BEGIN { printf "%d", t * 8 + 20 }')

WORKLOADS=${WORKLOADS:-$DEFAULT_WORKLOADS}
[ "$WORKLOADS" = all ] && WORKLOADS="${TABLE_ORDER[*]}"
for name in $WORKLOADS; do
  if [ -z "${KIND[$name]:-}" ]; then
    echo "compare.sh: unknown workload '$name'; the table has: ${TABLE_ORDER[*]}" >&2
    exit 2
  fi
done

command -v "$RB" >/dev/null || { echo "compare.sh: $RB not found" >&2; exit 1; }
PIN=()
if [ -n "${CLIENT_CPU:-}" ]; then
  if command -v taskset >/dev/null; then PIN=(taskset -c "$CLIENT_CPU")
  else echo "compare.sh: taskset not found; CLIENT_CPU ignored" >&2; fi
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vellum-compare.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# Wall clock in seconds, to the microsecond (bash 5; date before that).
clock_s() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi; }

# ---- one redis-benchmark run ---------------------------------------------------------
# bench HOST PORT CONNECTIONS ARGS... prints "OPS P99" (P99 is - when this redis-benchmark
# reports no latencies), or "NA -" when the run failed, timed out or reported nothing.
bench() {
  local host=$1 port=$2 conns=$3
  shift 3
  local csv
  if ! csv=$(timeout "$RUN_LIMIT_S" "${PIN[@]}" "$RB" -h "$host" -p "$port" -c "$conns" \
      -r "$KEYSPACE" --csv "$@" 2>/dev/null); then
    echo "NA -"
    return
  fi
  # The numeric columns are the last ones of a row (a test name may hold commas), so
  # columns are counted from the end, using the header's names.
  awk -F, '
    { gsub(/"/, "") }
    $1 == "test" { for (i = 1; i <= NF; i++) from_end[$i] = NF - i; next }
    {
      ops = ("rps" in from_end) ? $(NF - from_end["rps"]) : $NF
      p99 = ("p99_latency_ms" in from_end) ? $(NF - from_end["p99_latency_ms"]) : "-"
    }
    END {
      if (ops !~ /^[0-9.]+$/) { print "NA -"; exit }
      if (p99 !~ /^[0-9.]+$/) p99 = "-"
      print ops, p99
    }' <<<"$csv"
}

# cmd_words NAME: the row's command words, {NAME} placeholders filled in (one per line).
cmd_words() {
  local word key
  local -a words
  read -r -a words <<<"${COMMAND[$1]}"
  for word in "${words[@]}"; do
    for key in "${!VALUE[@]}"; do word=${word//"{$key}"/${VALUE[$key]}}; done
    printf '%s\n' "$word"
  done
}

# run_once HOST PORT NAME N: one run of workload NAME with N requests -> "OPS P99".
run_once() {
  local host=$1 port=$2 name=$3 n=$4
  local size=${SIZE[$name]} p=${PIPELINE[$name]}
  case ${KIND[$name]} in
    test)
      bench "$host" "$port" "$CLIENTS" -t "${COMMAND[$name]}" -d "$size" -P "$p" -n "$n"
      ;;
    cmd)
      local words
      mapfile -t words < <(cmd_words "$name")
      bench "$host" "$port" "$CLIENTS" -P "$p" -n "$n" "${words[@]}"
      ;;
    mixed)
      local set_conns=$((CLIENTS / 10)) set_n=$((n / 10))
      [ "$set_conns" -ge 1 ] || set_conns=1
      [ "$set_n" -ge 1 ] || set_n=1
      local get_conns=$((CLIENTS - set_conns)) get_n=$((n - set_n))
      [ "$get_conns" -ge 1 ] || get_conns=1
      local start end
      start=$(clock_s)
      bench "$host" "$port" "$get_conns" -t get -d "$size" -P "$p" -n "$get_n" >"$SCRATCH/get" &
      local get_pid=$!
      bench "$host" "$port" "$set_conns" -t set -d "$size" -P "$p" -n "$set_n" >"$SCRATCH/set"
      wait "$get_pid" || true
      end=$(clock_s)
      local get_ops=NA get_p99=- set_ops=NA
      read -r get_ops get_p99 <"$SCRATCH/get" || true
      read -r set_ops _ <"$SCRATCH/set" || true
      if [ "$get_ops" = NA ] || [ "$set_ops" = NA ]; then
        echo "NA -"
      else
        awk -v n="$n" -v a="$start" -v b="$end" -v p99="$get_p99" \
          'BEGIN { if (b > a) printf "%.2f %s\n", n / (b - a), p99; else print "NA -" }'
      fi
      ;;
  esac
}

# ---- setup steps ---------------------------------------------------------------------
declare -A VALUE  # set by setup steps, used by {NAME} in cmd rows
FILLED=""         # the value size every key holds, if the last row filled

# set_value NAME VALUE [REGEX]: stores a value for {NAME}; fails if it does not match
# REGEX, or if the other server already stored a different one.
set_value() {
  if [ -n "${3:-}" ] && ! [[ $2 =~ $3 ]]; then
    echo "compare.sh: setup of {$1} failed: ${2:0:200}" >&2
    return 1
  fi
  if [ -n "${VALUE[$1]:-}" ] && [ "${VALUE[$1]}" != "$2" ]; then
    echo "compare.sh: the servers disagree on {$1}: ${VALUE[$1]} vs $2" >&2
    return 1
  fi
  VALUE[$1]=$2
}

# fill HOST PORT SIZE: SIZE-byte values under (nearly) every key of the keyspace; 8 x
# KEYSPACE random SETs miss a given key with probability e^-8 (0.03%).
fill() {
  local r
  r=$(RUN_LIMIT_S=300 bench "$1" "$2" "$CLIENTS" -t set -d "$3" -P 16 -n $((KEYSPACE * 8)))
  [ "${r%% *}" != NA ]
}

# setup NAME: runs the row's setup steps on both servers; fails if one fails.
setup() {
  local name=$1 size=${SIZE[$1]} step
  local -a steps
  IFS=, read -r -a steps <<<"${SETUP[$name]}"
  VALUE=()
  local filled=""
  for step in "${steps[@]}"; do
    case $step in
      -) ;;
      fill)
        filled=$size
        [ "$FILLED" = "$size" ] && continue
        FILLED=""
        fill "$HOST_A" "$PORT_A" "$size" && fill "$HOST_B" "$PORT_B" "$size" || return 1
        ;;
      *)
        declare -F "setup_$step" >/dev/null || { echo "compare.sh: no setup_$step" >&2; return 1; }
        "setup_$step" "$HOST_A" "$PORT_A" "$size" && "setup_$step" "$HOST_B" "$PORT_B" "$size" ||
          return 1
        ;;
    esac
  done
  # A row that does not fill may overwrite values: the next GET row fills again.
  FILLED=$filled
}

# ---- statistics ----------------------------------------------------------------------
# report NAME FILE: FILE has one line per round, "A_OPS A_P99 B_OPS B_P99"; prints the
# row and appends its ratio to $SCRATCH/ratios. Rounds where either side failed are
# left out; no round left prints an NA row.
report() {
  awk -v name="$1" -v ratios="$SCRATCH/ratios" '
    function median(v, k,   i, j, t) {
      for (i = 2; i <= k; i++) {  # insertion sort: k is a handful
        t = v[i]
        for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
        v[j + 1] = t
      }
      return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    $1 == "NA" || $3 == "NA" { next }
    {
      k++; a[k] = $1; b[k] = $3; r = $1 / $3
      if (k == 1 || r < lo) lo = r
      if (k == 1 || r > hi) hi = r
      if ($2 != "-") pa[++ka] = $2
      if ($4 != "-") pb[++kb] = $4
    }
    END {
      if (k == 0) {
        printf "%-24s %12s %12s %9s %9s %9s  %s\n", name, "NA", "NA", "NA", "-", "-", "-"
        exit
      }
      ma = median(a, k); mb = median(b, k)
      p99a = ka ? sprintf("%.3f", median(pa, ka)) : "-"
      p99b = kb ? sprintf("%.3f", median(pb, kb)) : "-"
      printf "%-24s %12.0f %12.0f %9.3f %9s %9s  %.3f..%.3f\n", name, ma, mb, ma / mb, p99a, p99b, lo, hi
      print ma / mb >> ratios
    }' "$2"
}

# ---- the matrix ----------------------------------------------------------------------
START_S=$(clock_s)
for side in "$HOST_A:$PORT_A" "$HOST_B:$PORT_B"; do
  r=$(RUN_LIMIT_S=20 bench "${side%:*}" "${side##*:}" 1 -t ping_mbulk -n 1000)
  if [ "${r%% *}" = NA ]; then
    echo "compare.sh: no answer from $side" >&2
    exit 1
  fi
done

printf '# compare.sh mode=%s rounds=%s target_s=%s clients=%s keyspace=%s client_cpu=%s\n' \
  "$MODE" "$ROUNDS" "$TARGET_S" "$CLIENTS" "$KEYSPACE" "${CLIENT_CPU:-none}"
printf '# A=%s:%s  B=%s:%s  %s\n' "$HOST_A" "$PORT_A" "$HOST_B" "$PORT_B" \
  "$("$RB" --version 2>/dev/null | head -n 1)"
printf '%-24s %12s %12s %9s %9s %9s  %s\n' \
  workload A_ops/s B_ops/s ratio_A/B A_p99ms B_p99ms round_ratio_range
: >"$SCRATCH/ratios"

for name in $WORKLOADS; do
  rounds="$SCRATCH/rounds"
  : >"$rounds"
  if ! setup "$name"; then
    echo "compare.sh: setup of $name failed" >&2
    report "$name" "$rounds"
    continue
  fi
  # Calibration: requests for about TARGET_S seconds at the slower side's rate, never
  # fewer than a floor (very short runs measure start-up and round badly).
  p=${PIPELINE[$name]}
  floor=20000
  [ "$p" -gt 1 ] && floor=$((6000 * p))
  cal_a=$(run_once "$HOST_A" "$PORT_A" "$name" "$floor")
  cal_b=$(run_once "$HOST_B" "$PORT_B" "$name" "$floor")
  if [ "${cal_a%% *}" = NA ] || [ "${cal_b%% *}" = NA ]; then
    echo "compare.sh: $name failed on $([ "${cal_a%% *}" = NA ] && echo A || echo B)" >&2
    report "$name" "$rounds"
    continue
  fi
  n=$(awk -v a="${cal_a%% *}" -v b="${cal_b%% *}" -v t="$TARGET_S" -v floor="$floor" \
    'BEGIN { slow = a < b ? a : b; n = int(slow * t); print (n > floor ? n : floor) }')
  for ((i = 0; i < ROUNDS; i++)); do
    ra=$(run_once "$HOST_A" "$PORT_A" "$name" "$n")
    rb=$(run_once "$HOST_B" "$PORT_B" "$name" "$n")
    echo "$ra $rb" >>"$rounds"
  done
  report "$name" "$rounds"
done

awk -v elapsed="$(awk -v a="$START_S" -v b="$(clock_s)" 'BEGIN { printf "%.0f", b - a }')" '
  $1 > 0 { sum += log($1); k++ }
  END {
    if (k) printf "geomean ratio_A/B over %d workloads: %.3f   (elapsed %ss)\n", k, exp(sum / k), elapsed
    else printf "geomean: no workload ran (elapsed %ss)\n", elapsed
  }' "$SCRATCH/ratios"
