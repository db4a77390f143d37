#!/usr/bin/env bash
# Installs what the browser tests (tests/browser/: the change feed, the console) need,
# only when it is missing, so that CI and later runs reuse it:
#
# 1. Debian's `chromium` package, when /usr/bin/chromium is missing (apt-get, like
#    scripts/ensure-packages.sh). A browser is never downloaded from anywhere else:
#    playwright-core drives this one (`executablePath`), it fetches no browser of its own.
# 2. playwright-core and axe-core, pinned in tests/browser/package-lock.json, into
#    tests/browser/node_modules (ignored), again only when the lock file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh # Node.js with npm

if [[ ! -x /usr/bin/chromium ]]; then
  echo "ensure-browser: installing Debian's chromium" >&2
  sudo=""
  ((EUID == 0)) || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium >/dev/null
fi

DIR=tests/browser
want=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$DIR/node_modules/.stamp" 2>/dev/null) != "$want" ]]; then
  echo "ensure-browser: installing playwright-core and axe-core (once)" >&2
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing on install, and
  # this says so twice.
  (cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" >"$DIR/node_modules/.stamp"
fi
