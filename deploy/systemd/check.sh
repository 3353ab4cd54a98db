#!/bin/sh
# check.sh: offline checks of jig-manager@.service, no running systemd needed.
#
#   deploy/systemd/check.sh [THRESHOLD]
#
# 1. systemd-analyze verify on the instances jig-manager@JIG-0001 and
#    jig-manager@SIM-0001 (the latter with the simulator.conf drop-in), inside
#    a throwaway root: the unit, the host's stock units (for the targets it
#    orders against) and /usr/bin/jig-manager. That is the real binary if
#    $JIG_MANAGER_BIN points at one or it is installed, else a stub script, so
#    the ExecStart= path is checked exactly as written. Any diagnostic
#    (unknown key, bad value, missing binary) fails the check, not just a
#    non-zero exit status.
# 2. systemd-analyze security --offline=yes for both instances, failing if
#    the overall exposure is above THRESHOLD (tenths: 30 = 3.0, the default).
# 3. A few properties the unit must keep whatever else changes, and with a
#    real binary, that it speaks the notify protocol the unit relies on
#    (READY=1 for Type=notify, WATCHDOG=1 for WatchdogSec=, and
#    EXTEND_TIMEOUT_USEC= for the start timeout while the broker is down).
#
# JIG_UNIT=FILE checks FILE instead of jig-manager@.service next to this
# script (the tests use it to show that a weakened unit fails).
#
# Needs systemd-analyze from systemd >= 250 (--offline, --threshold). Exits
# non-zero on any failure.
set -eu

threshold=${1:-30}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
unit=${JIG_UNIT:-$here/jig-manager@.service}
fail=0

command -v systemd-analyze >/dev/null 2>&1 || {
	echo "check.sh: systemd-analyze not found (apt-get install systemd)" >&2
	exit 2
}
version=$(systemd-analyze --version | awk 'NR==1 {print $2}')
if [ "${version%%[!0-9]*}" -lt 250 ]; then
	echo "check.sh: systemd $version is too old, need >= 250 for --offline/--threshold" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc/systemd/system"
if [ -d /usr/lib/systemd/system ]; then
	cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
else
	cp -a /lib/systemd/system "$root/usr/lib/systemd/"
fi
cp "$unit" "$root/etc/systemd/system/jig-manager@.service"
mkdir -p "$root/etc/systemd/system/jig-manager@SIM-0001.service.d"
cp "$here/simulator.conf" "$root/etc/systemd/system/jig-manager@SIM-0001.service.d/"

bin=${JIG_MANAGER_BIN:-}
if [ -z "$bin" ] && [ -x /usr/bin/jig-manager ]; then
	bin=/usr/bin/jig-manager
fi
if [ -n "$bin" ]; then
	cp "$bin" "$root/usr/bin/jig-manager"
	echo "== using binary $bin"
else
	printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/jig-manager"
	echo "== /usr/bin/jig-manager not installed: using a stub"
fi
chmod 0755 "$root/usr/bin/jig-manager"

for inst in JIG-0001 SIM-0001; do
	name=jig-manager@$inst.service
	echo "== systemd-analyze verify $name"
	if ! systemd-analyze verify --man=no --root="$root" "$name" >"$tmp/verify.out" 2>&1; then
		cat "$tmp/verify.out"
		echo "FAIL: verify $name exited non-zero"
		fail=1
	elif [ -s "$tmp/verify.out" ]; then
		cat "$tmp/verify.out"
		echo "FAIL: verify $name printed diagnostics"
		fail=1
	else
		echo "ok"
	fi

	echo "== systemd-analyze security --offline=yes --threshold=$threshold $name"
	if systemd-analyze security --no-pager --offline=yes --root="$root" \
		--threshold="$threshold" "$name" >"$tmp/security.out" 2>&1; then
		status=ok
	else
		status=FAIL
		fail=1
	fi
	# The settings that still cost exposure, and the verdict.
	grep '✗' "$tmp/security.out" || true
	grep 'Overall exposure level' "$tmp/security.out" || cat "$tmp/security.out"
	echo "$status"
done

echo "== unit invariants"
check() { # check DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok: $desc"
	else
		echo "FAIL: $desc"
		fail=1
	fi
}
check "no secret on the command line" \
	sh -c '! grep -Ei "^ExecStart=.*(pass|amqps?://)" "$1"' _ "$unit"
check "secrets come from EnvironmentFile=-/etc/jig-manager/%i.env" \
	grep -qx 'EnvironmentFile=-/etc/jig-manager/%i.env' "$unit"
check "instance uses %i, never %I" \
	sh -c '! grep -v "^#" "$1" | grep -q "%I"' _ "$unit"
check "DevicePolicy=closed" grep -qx 'DevicePolicy=closed' "$unit"
check "no pseudo-terminal access in the production unit" \
	sh -c '! grep -Eq "^DeviceAllow=.*pts" "$1"' _ "$unit"
check "empty capability bounding set" grep -qx 'CapabilityBoundingSet=' "$unit"
check "Type=notify with a watchdog" \
	sh -c 'grep -qx "Type=notify" "$1" && grep -q "^WatchdogSec=" "$1"' _ "$unit"
if [ -n "$bin" ]; then
	# A unit with WatchdogSec= kills a manager that never sends WATCHDOG=1.
	# The literal is in any Go binary that sends it.
	check "the binary sends WATCHDOG=1 (the unit sets WatchdogSec=)" \
		grep -qa 'WATCHDOG=1' "$bin"
	check "the binary sends READY=1 (Type=notify)" grep -qa 'READY=1' "$bin"
	# Until READY it extends TimeoutStartSec=, or a broker outage would
	# restart it every 90s.
	check "the binary extends its start timeout until READY (EXTEND_TIMEOUT_USEC=)" \
		grep -qa 'EXTEND_TIMEOUT_USEC=' "$bin"
fi

if [ "$fail" -ne 0 ]; then
	echo "check.sh: FAILED"
	exit 1
fi
echo "check.sh: all checks passed"
