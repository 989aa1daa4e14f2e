#!/usr/bin/env bash
# The benchmark plan of BENCHMARKS.md: release builds, then for each broker (the embedded one
# and Mosquitto from scripts/mosquitto/) and each size (1,000 and 10,000 virtual patients) a
# fresh `dentismile up` on free loopback ports, the slots of one generated slots.csv loaded
# into it, and one stress run. Each run measures its own baselines (gRPC echo ceiling, raw MQTT
# publish-to-receive) next to the plan, so its ratios hold even on a busy machine.
#
#   scripts/stress.sh                                   # the whole plan
#   STRESS_SIZES=1000 STRESS_BROKERS=embedded scripts/stress.sh      # one run
#   STRESS_OUT=/tmp/bench scripts/stress.sh             # where results go
#   STRESS_CONTENTION=1 scripts/stress.sh               # add a contention run (8 racers/slot)
#   STRESS_MOSQUITTO_AUTOSAVE=60 scripts/stress.sh      # experiment: Mosquitto saves every 60 s
#                                                       # instead of every second as shipped
#
# Results: $STRESS_OUT (default target/stress/<UTC time>/): one .md and one .json per run,
# summary.md with all of them and the machine, and each run's server log. Everything started
# here listens on 127.0.0.1 only and is stopped on exit, even on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${STRESS_OUT:-target/stress/$(date -u +%Y%m%dT%H%M%SZ)}
sizes=${STRESS_SIZES:-"1000 10000"}
brokers=${STRESS_BROKERS:-"embedded mosquitto"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { printf '\n==> %s\n' "$*" >&2; }

log "release build"
cargo build --release -p dentismile -p dentismile-stress
bin=$PWD/target/release
stress=$bin/dentismile-stress

# --- what this machine is ----------------------------------------------------------------------
{
  echo "## Machine"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- cores (nproc): $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "- open files per process: $(ulimit -n)"
  echo "- kernel: $(uname -r)"
  echo "- rustc: $(rustc --version)"
  if [[ -x /usr/sbin/mosquitto ]]; then
    echo "- mosquitto: $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
  fi
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.md"
cat "$out/machine.md" >&2

# --- cleanup of everything this script starts ------------------------------------------------
pids=()
workdirs=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  for dir in "${workdirs[@]}"; do
    rm -rf "$dir"
  done
  workdirs=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_line() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "timed out waiting for '$2' in $1:" >&2
      tail -20 "$1" >&2
      return 1
    fi
    sleep 0.2
  done
}

wait_for_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "nothing listens on 127.0.0.1:$1" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Mosquitto from the shipped configuration: only the port and the paths replaced, as
# tests/system/mqtt.rs does. Sets mosquitto_port; the gateway's secret is $secret.
# Like run_one, it is called where `set -e` does not apply, so each step returns on failure.
secret="stress-$(date +%s)-$RANDOM"
start_mosquitto() { # workdir
  local dir=$1
  mosquitto_port=$("$stress" free-port) || return 1
  mkdir -p "$dir/mosquitto-data" || return 1
  sed -e "s|^listener .*|listener $mosquitto_port 127.0.0.1|" \
      -e "s|^persistence_location .*|persistence_location $dir/mosquitto-data/|" \
      -e "s|^password_file .*|password_file $dir/passwd|" \
      -e "s|^acl_file .*|acl_file $PWD/scripts/mosquitto/acl|" \
      scripts/mosquitto/mosquitto.conf > "$dir/mosquitto.conf" || return 1
  # An experiment, never the default: the shipped file saves after every change.
  if [[ -n ${STRESS_MOSQUITTO_AUTOSAVE:-} ]]; then
    sed -i -e "s|^autosave_on_changes .*|autosave_on_changes false|" \
           -e "s|^autosave_interval .*|autosave_interval $STRESS_MOSQUITTO_AUTOSAVE|" "$dir/mosquitto.conf" || return 1
  fi
  # As root Mosquitto would switch to the `mosquitto` user, who cannot write this directory.
  if [[ $(id -u) -eq 0 ]]; then echo "user root" >> "$dir/mosquitto.conf"; fi
  scripts/mosquitto/make-password.sh "$dir/passwd" "$secret" || return 1
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 &
  pids+=($!)
  wait_for_port "$mosquitto_port" 10
}

slots=$out/slots.csv
log "generating slots.csv"
"$stress" generate --clinics 100 --dentists 4 --days 5 --out "$slots"

# run_one is called as `run_one ... || ...`, and bash ignores `set -e` inside a function called
# that way: every step the run cannot go on without returns on failure itself, or a broker that
# never started would still be measured and its results published.
run_one() { # broker size contention
  local broker=$1 size=$2 contention=$3
  local name="$broker broker, $size users"
  if [[ $broker == mosquitto && -n ${STRESS_MOSQUITTO_AUTOSAVE:-} ]]; then
    name="$name (experiment: autosave every ${STRESS_MOSQUITTO_AUTOSAVE} s)"
  fi
  local tag="$broker-$size"
  if ((contention > 1)); then
    name="$name, $contention racers per slot"
    tag="$tag-race$contention"
  fi
  log "$name"
  local dir
  dir=$(mktemp -d /tmp/dentismile-stress.XXXXXX) || return 1
  workdirs+=("$dir")
  local gateway_port mqtt_port subscribe_url baseline_url
  gateway_port=$("$stress" free-port) || return 1
  local mqtt_flags=()
  if [[ $broker == mosquitto ]]; then
    start_mosquitto "$dir" || return 1
    mqtt_flags=(--mqtt "mqtt://gateway:$secret@127.0.0.1:$mosquitto_port")
    subscribe_url="mqtt://127.0.0.1:$mosquitto_port"
    baseline_url="mqtt://gateway:$secret@127.0.0.1:$mosquitto_port"
  else
    mqtt_port=$("$stress" free-port) || return 1
    mqtt_flags=(--mqtt-addr "127.0.0.1:$mqtt_port")
    subscribe_url="mqtt://127.0.0.1:$mqtt_port"
    baseline_url=$subscribe_url
  fi
  "$bin/dentismile" up --data-dir "$dir/data" --gateway-addr "127.0.0.1:$gateway_port" \
    "${mqtt_flags[@]}" > "$dir/server.log" 2>&1 &
  pids+=($!)
  wait_for_line "$dir/server.log" '^gateway: ' 180 || return 1
  local gateway="http://127.0.0.1:$gateway_port"
  "$stress" load --gateway "$gateway" --mqtt "$subscribe_url" --slots "$slots" --wait 180 || return 1

  # 1,000 patients start over 10 s (100 a second); 10,000 over 60 s (about 170 a second).
  local ramp duration
  if ((size <= 1000)); then ramp=10; duration=120; else ramp=60; duration=300; fi
  local status=0
  "$stress" run --name "$name" --gateway "$gateway" --mqtt "$subscribe_url" \
    --mqtt-baseline "$baseline_url" --slots "$slots" --signing-key "$dir/data/auth-signing.key" \
    --users "$size" --ramp-up "$ramp" --duration "$duration" --contention "$contention" \
    --json "$out/$tag.json" --markdown "$out/$tag.md" > /dev/null || status=$?
  cp "$dir/server.log" "$out/$tag.server.log"
  if [[ -f $dir/mosquitto.log ]]; then cp "$dir/mosquitto.log" "$out/$tag.mosquitto.log"; fi
  cleanup
  if ((status != 0)); then
    echo "the run '$name' failed (exit $status)" >&2
    return "$status"
  fi
  cat "$out/$tag.md" >&2
}

# A failed run is reported and the plan goes on; what it started is stopped first, so it does
# not load the machine during the next run.
failed=0
run_or_note_failure() { # broker size contention
  if ! run_one "$@"; then
    echo "the run ($*) stopped early; see the messages above" >&2
    failed=1
    cleanup
  fi
}
for broker in $brokers; do
  for size in $sizes; do
    run_or_note_failure "$broker" "$size" 1
  done
  if [[ -n ${STRESS_CONTENTION:-} ]]; then
    run_or_note_failure "$broker" 1000 8
  fi
done

{
  cat "$out/machine.md"
  echo
  for md in "$out"/*.md; do
    [[ $md == */machine.md || $md == */summary.md ]] && continue
    cat "$md"
    echo
  done
} > "$out/summary.md"
log "results in $out (summary.md)"
exit "$failed"
