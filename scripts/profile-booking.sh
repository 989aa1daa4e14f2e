#!/usr/bin/env bash
# Where a booking's server CPU goes: runs one benchmark run (1,000 users, embedded broker) with
# scripts/stress.sh and, while its saturated-booking phase runs, samples the `dentismile up`
# process with perf for a few seconds. Prints the share of samples per thread and the hottest
# functions; BENCHMARKS.md ("Where the time goes") reads its figures from this output.
#
#   scripts/profile-booking.sh                 # results in target/profile/<UTC time>/
#   PROFILE_SECONDS=6 scripts/profile-booking.sh
#
# Needs perf (Debian's linux-perf; installed here if missing). The cpu-clock software event is
# used because these machines do not expose hardware counters to perf.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${PROFILE_SECONDS:-4}
out=${PROFILE_OUT:-target/profile/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v perf >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf
fi

STRESS_SIZES=1000 STRESS_BROKERS=embedded STRESS_OUT="$out/stress" \
  bash scripts/stress.sh > "$out/stress.log" 2>&1 &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null || true' EXIT

# The saturated phase starts when the stress tool says so; the server is the newest
# `dentismile up` this run started.
deadline=$((SECONDS + 900))
until grep -q '^\[stress\] saturated booking' "$out/stress.log" 2>/dev/null; do
  if ((SECONDS > deadline)) || ! kill -0 "$stress_pid" 2>/dev/null; then
    echo "the stress run ended or took too long before its saturated phase; see $out/stress.log" >&2
    exit 1
  fi
  sleep 0.2
done
server=$(pgrep -n -f "target/release/dentismile up")
perf record -e cpu-clock -F 999 -p "$server" -o "$out/perf.data" -- sleep "$seconds" 2> "$out/perf-record.log"
wait "$stress_pid"
trap - EXIT

# Shares of all samples: per thread and where its time went (kernel, the binary, libc), then
# the hottest functions of the two busiest kinds of thread. The whole report is written to a
# file first: piping perf into `head` would end perf with SIGPIPE.
perf script -i "$out/perf.data" -F comm,ip,sym,dso 2>/dev/null > "$out/samples.txt"
share() { awk -v field="$1" -v only="${2:-}" '
  only != "" && $1 != only { next }
  { key = (field == "dso") ? $1 " " $NF : ""
    if (field == "sym") { key = $3; for (i = 4; i < NF; i++) key = key " " $i }
    count[key]++; total++ }
  END { for (k in count) printf "%5.1f%%  %s\n", 100 * count[k] / total, k }' "$out/samples.txt" | sort -rn | head -"${3:-25}"; }
{
  echo "## Share of the server's samples, by thread and where (kernel, binary, libc)"
  share dso "" 20
  echo
  echo "## The store writer's hottest functions (share of its samples)"
  share sym store-writer 20
  echo
  echo "## The tokio workers' hottest functions (share of their samples)"
  share sym tokio-rt-worker 25
  echo
  echo "samples: $(wc -l < "$out/samples.txt") over ${seconds} s at 999 Hz"
} > "$out/profile.txt"
cat "$out/profile.txt"
echo "profile in $out (perf.data, profile.txt; the stress run's results in stress/)" >&2
