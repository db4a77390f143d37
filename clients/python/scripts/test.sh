#!/usr/bin/env bash
# Lint, type-check and test the Python client. Creates clients/python/.venv on first use
# (and again when requirements-dev.txt or pyproject.toml change), then reuses it.
#
#   scripts/test.sh               everything
#   scripts/test.sh -k scenario   extra arguments go to pytest
#
# The end-to-end tests run the depot binary from $DEPOT_BIN (default:
# ../../target/debug/depot); without DEPOT_BIN and without that file they are skipped.
set -euo pipefail
# A relative DEPOT_BIN means relative to where the script was started from.
if [[ -n ${DEPOT_BIN:-} && $DEPOT_BIN != /* ]]; then
    DEPOT_BIN=$PWD/$DEPOT_BIN
    export DEPOT_BIN
fi
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=.venv
stamp=$venv/.requirements-hash
want=$(cat requirements-dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)

if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "test.sh: creating $venv" >&2
    "$python" -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed"'
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$want" >"$stamp"
fi

export PATH="$PWD/$venv/bin:$PATH"
echo "== ruff" >&2
ruff check src tests examples
ruff format --check src tests examples
echo "== mypy --strict" >&2
mypy --strict
echo "== pytest" >&2
pytest "$@"
