#!/bin/sh
# check.sh: syntax check of 99-jig-fixture.rules with udevadm's own parser.
#
# udevadm (systemd 252) has no "verify" command and reads rules only from the
# system directories, so this runs `udevadm test` in a private mount
# namespace with a temporary directory bind-mounted over /etc/udev/rules.d:
# the host's rules directory is never touched. Any diagnostic that udevadm
# prints against the rules file fails the check. It cannot check matching
# (that needs the real adapter): see the header of the rules file for
# `udevadm info --attribute-walk`.
#
# Needs root (unshare -m, mount) and udevadm (apt-get install udev).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
rules=99-jig-fixture.rules
command -v udevadm >/dev/null 2>&1 || { echo "check.sh: udevadm not found (apt-get install udev)" >&2; exit 2; }
command -v unshare >/dev/null 2>&1 || { echo "check.sh: unshare not found" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$here/$rules" "$tmp/"
# Any tty device will do: only the parse matters.
dev=$(ls -d /sys/class/tty/* | head -n 1)
unshare -m sh -c 'mkdir -p /etc/udev/rules.d && mount --bind "$1" /etc/udev/rules.d && udevadm test --action=add "$2"' \
	_ "$tmp" "$dev" >"$tmp/out" 2>&1 || true
if ! grep -q "Reading rules file: /etc/udev/rules.d/$rules" "$tmp/out"; then
	cat "$tmp/out"
	echo "check.sh: FAILED: udevadm did not read $rules"
	exit 1
fi
if grep "/etc/udev/rules.d/$rules:" "$tmp/out"; then
	echo "check.sh: FAILED: udevadm reported problems in $rules"
	exit 1
fi
echo "check.sh: $rules parses cleanly"
