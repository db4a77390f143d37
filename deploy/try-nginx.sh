#!/usr/bin/env bash
# Starts two depot instances on one PostgreSQL database behind deploy/nginx.conf, on
# this machine only (127.0.0.1:8080 -> 8081, 8082), sends a few requests through nginx,
# and stops everything. Needs nginx (apt-get install nginx-light), a PostgreSQL that
# user postgres reaches on 127.0.0.1 (scripts/ensure-postgres.sh), and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."

db="depot_try_nginx_$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -c "$PWD/deploy/nginx.conf" -s stop 2>/dev/null || true
  psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT

psql -q "postgres://postgres@127.0.0.1:5432/postgres" -c "CREATE DATABASE $db"
cargo build --release -q -p depot-cli
export DEPOT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
export DEPOT_ADMIN_CLIENT_ID=admin DEPOT_ADMIN_CLIENT_SECRET=try-nginx-secret
for port in 8081 8082; do
  target/release/depot serve --addr "127.0.0.1:$port" --data-dir "$work/$port" >"$work/$port.out" 2>"$work/$port.log" &
  pids+=($!)
done
for port in 8081 8082; do
  until grep -q listening "$work/$port.out" 2>/dev/null; do sleep 0.2; done
done
nginx -c "$PWD/deploy/nginx.conf"

export DEPOT_URL=http://127.0.0.1:8080
target/release/depot api POST /v1/projects --data '{"name":"through-nginx"}'
target/release/depot api POST /v1/projects/through-nginx/collections --data '{"name":"notes"}'
for n in 1 2 3 4; do
  target/release/depot api POST /v1/projects/through-nginx/collections/notes/items --data "{\"n\":$n}" >/dev/null
done
target/release/depot api GET '/v1/projects/through-nginx/collections/notes/items?limit=10'
# Both instances served requests:
for port in 8081 8082; do
  echo "instance $port answered $(curl -s "127.0.0.1:$port/metrics" | awk '/^depot_requests_total/ {s += $2} END {print s}') requests"
done
