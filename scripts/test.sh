#!/usr/bin/env bash
# Runs every check CI runs, in the order a reviewer cares about: formatting, lints, then every
# test of the workspace. Safe to run on a fresh machine: it installs what is missing first.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -E 'package(dentismile-store)'   # extra arguments go to cargo nextest
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# --- tools ----------------------------------------------------------------------------------
# Debian packages the tests drive for real (tool:package). `apt-get update` only when something
# is missing. mosquitto_passwd stands for the mosquitto package: the broker itself lives in
# /usr/sbin, which is not on every user's PATH. docker-compose validates the ScyllaDB compose
# file (it needs no Docker engine for that).
apt_packages=()
for tool in tmux:tmux mosquitto_passwd:mosquitto docker-compose:docker-compose; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || apt_packages+=("${tool##*:}")
done
if ((${#apt_packages[@]})); then
  log "installing ${apt_packages[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

# --- checks ---------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "doc tests"
cargo test --workspace --doc --locked --quiet

# Last, so its summary line is the last thing printed.
log "tests (cargo nextest)"
cargo nextest run --workspace --locked --no-fail-fast "$@"
