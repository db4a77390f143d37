#!/usr/bin/env bash
# Installs, from Debian's packages, the commands the tests use that a fresh machine may
# lack: a C compiler and make (the bundled SQLite and jemalloc), curl and jq (README's
# walk-through), Node.js with npm (the TypeScript client) and Python's venv (the Python
# client). Only what is missing is installed; nothing is upgraded.
set -euo pipefail

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need cc build-essential
need make build-essential
need curl curl
need jq jq
need node nodejs
need npm npm
need python3 python3
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)

((${#missing[@]})) || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "ensure-packages: installing ${missing[*]}" >&2
sudo=""
((EUID == 0)) || sudo=sudo
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
