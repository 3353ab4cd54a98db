#!/usr/bin/env bash
# Make sure the tools of the deployment tests (deploy/*_test.go) are
# installed: systemd-analyze (package systemd, for deploy/systemd/check.sh),
# dpkg-deb (dpkg), readelf (binutils, the static-binary check of
# deploy/package/check-deb.sh) and unshare (util-linux, its overlay install).
# Present tools are left alone; missing ones are installed from Debian
# (needs root or sudo). systemd-analyze works offline: no running systemd
# is needed, so a container will do.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

declare -A package=([systemd-analyze]=systemd [dpkg-deb]=dpkg [readelf]=binutils [unshare]=util-linux)
missing=()
for tool in systemd-analyze dpkg-deb readelf unshare; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "deploy tools: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for tool in systemd-analyze dpkg-deb readelf unshare; do
  command -v "$tool" >/dev/null 2>&1 || { echo "deploy tools: $tool still missing" >&2; exit 1; }
done
