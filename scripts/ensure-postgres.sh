#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for user postgres without a
# password (the tests create and drop their own databases there). Installs Debian's
# postgresql package and starts its cluster if needed. Touches the authentication
# settings only of a cluster this script installed itself.
set -euo pipefail

can_connect() {
  command -v psql >/dev/null 2>&1 &&
    psql "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1
}

can_connect && exit 0

installed_here=0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  installed_here=1
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if [ "$installed_here" = 1 ]; then
  # Trust local TCP connections, as on the project's CI machines.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true

for _ in $(seq 1 30); do
  can_connect && exit 0
  sleep 1
done
echo "ensure-postgres: PostgreSQL does not answer on 127.0.0.1:5432 as user postgres" >&2
exit 1
