#!/bin/sh
# Run the libFuzzer targets built in BUILD/fuzz/ (see tests/fuzz/README.md).
#   run.sh fuzz SECONDS BUILD NAME...  fuzz each target for SECONDS, starting
#       from tests/fuzz/corpus/NAME and its regression inputs; new inputs go to
#       BUILD/corpus/NAME (kept between runs), crashes to BUILD/crashes/NAME/.
#   run.sh test SECONDS BUILD NAME...  replay every committed input
#       (tests/fuzz/corpus/NAME/*, tests/fuzz/regression/NAME/*) one by one,
#       then fuzz each target for SECONDS from a fresh scratch corpus.
# tests/fuzz/dict/NAME.dict is passed as -dict, tests/fuzz/options/NAME adds
# libFuzzer flags. A crash, a timeout or a broken property fails the run; the
# table at the end gives, for each target, wall and CPU seconds (the target's
# user + system time), executions, executions per second, coverage (cov, ft)
# and the corpus the run ended with (inputs/bytes).
set -u
mode=$1 seconds=$2 build=$3
shift 3
count=$#
here=$(cd "$(dirname "$0")" && pwd)
started=$(date +%s)
failed=""
summary=""
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT

# cpu = CPU seconds (user + system) of the children this shell has waited
# for. Not in $(...): `times` in a subshell counts the subshell's children.
cpu_seconds() {
  times >"$times_file"
  cpu=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
    "$times_file")
}

for name in "$@"; do
  bin="$build/fuzz/$name"
  corpus="$here/corpus/$name"
  regression="$here/regression/$name"
  mkdir -p "$corpus" "$build/crashes/$name" "$build/logs"
  log="$build/logs/$name.log"
  : >"$log"
  set --
  [ -f "$here/dict/$name.dict" ] && set -- "$@" "-dict=$here/dict/$name.dict"
  [ -f "$here/options/$name" ] && set -- "$@" $(cat "$here/options/$name")
  t0=$(date +%s)
  cpu_seconds
  c0=$cpu

  if [ "$mode" = test ]; then
    inputs=$(find "$corpus" "$regression" -type f 2>/dev/null | sort)
    if [ -n "$inputs" ]; then
      # shellcheck disable=SC2086 # file names are ours, without blanks
      if ! "$bin" -timeout=10 $inputs >>"$log" 2>&1; then
        echo "FAILED: $name: a committed input crashes (log: $log)"; tail -40 "$log"
        failed="$failed $name"
        continue
      fi
    fi
    work="$build/test-corpus/$name"
    rm -rf "$work"
  else
    work="$build/corpus/$name"
  fi
  mkdir -p "$work"
  dirs="$work $corpus"
  [ -d "$regression" ] && dirs="$dirs $regression"
  # shellcheck disable=SC2086
  "$bin" "$@" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$name/" $dirs >>"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  cpu_seconds
  corp=$(grep -ao 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  summary="$summary$(printf '%-18s %6ss %6ss %12s %10s %6s %7s %12s' "$name" "$(( $(date +%s) - t0 ))" \
    "$((cpu - c0))" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
"
  if [ $rc -ne 0 ]; then
    echo "FAILED: $name (exit $rc, log: $log):"
    grep -E 'property broken|ERROR: |SUMMARY: |Test unit written' "$log" | head -20
    failed="$failed $name"
  fi
done

printf '\n%-18s %7s %7s %12s %10s %6s %7s %12s\n' target time cpu executions "exec/s" cov ft corpus
printf '%s' "$summary"
echo "run.sh $mode: $count targets in $(( $(date +%s) - started )) s"
if [ -n "$failed" ]; then
  echo "run.sh $mode FAILED:$failed (crash inputs in $build/crashes/<target>/; see tests/fuzz/README.md)"
  exit 1
fi
