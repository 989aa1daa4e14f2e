#!/usr/bin/env bash
# Creates (or replaces) the password file with the gateway's bridge account.
#   scripts/mosquitto/make-password.sh /etc/mosquitto/dentismile.passwd 'a long secret'
# The gateway then publishes with --mqtt mqtt://gateway:<secret>@host:1883
set -euo pipefail
file=${1:?usage: make-password.sh PASSWORD_FILE SECRET}
secret=${2:?usage: make-password.sh PASSWORD_FILE SECRET}
mosquitto_passwd -c -b "$file" gateway "$secret"
chmod 600 "$file"
# Mosquitto started as root drops to the `mosquitto` user, which must be able to read the file.
if [[ $(id -u) -eq 0 ]] && id mosquitto >/dev/null 2>&1; then
  chown mosquitto: "$file"
fi
