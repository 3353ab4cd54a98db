#!/usr/bin/env bash
# Make sure Debian's chromium is installed, for the gateway's browser test
# (internal/gateway/browser_test.go drives it headless). Present: left
# alone; missing: installed from Debian (needs root or sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "chromium: installing Debian's chromium for the browser test" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "chromium: still missing after install" >&2; exit 1; }
