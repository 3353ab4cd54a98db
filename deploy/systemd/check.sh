#!/bin/sh
# check.sh: offline checks of jig-manager@.service and jig-gateway.service,
# no running systemd needed.
#
#   deploy/systemd/check.sh [THRESHOLD]
#
# 1. systemd-analyze verify on the instances jig-manager@JIG-0001 and
#    jig-manager@SIM-0001 (the latter with the simulator.conf drop-in) and on
#    jig-gateway.service, inside a throwaway root: the units, the host's
#    stock units (for the targets they order against), /usr/bin/jig-manager
#    and /usr/bin/jig-gateway. Each is the real binary if $JIG_MANAGER_BIN
#    ($JIG_GATEWAY_BIN) points at one or it is installed, else a stub script,
#    so the ExecStart= paths are checked exactly as written. Any diagnostic
#    (unknown key, bad value, missing binary) fails the check, not just a
#    non-zero exit status.
# 2. systemd-analyze security --offline=yes for the three, failing if an
#    overall exposure is above THRESHOLD (tenths: 30 = 3.0, the default).
# 3. A few properties the units must keep whatever else changes, and with a
#    real manager binary, that it speaks the notify protocol the unit relies
#    on (READY=1 for Type=notify, WATCHDOG=1 for WatchdogSec=, and
#    EXTEND_TIMEOUT_USEC= for the start timeout while the broker is down).
#
# JIG_UNIT=FILE checks FILE instead of jig-manager@.service next to this
# script, JIG_GATEWAY_UNIT=FILE instead of jig-gateway.service (the tests use
# them to show that a weakened unit fails).
#
# Needs systemd-analyze from systemd >= 250 (--offline, --threshold). Exits
# non-zero on any failure.
set -eu

threshold=${1:-30}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
unit=${JIG_UNIT:-$here/jig-manager@.service}
gwunit=${JIG_GATEWAY_UNIT:-$here/jig-gateway.service}
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
cp "$gwunit" "$root/etc/systemd/system/jig-gateway.service"
mkdir -p "$root/etc/systemd/system/jig-manager@SIM-0001.service.d"
cp "$here/simulator.conf" "$root/etc/systemd/system/jig-manager@SIM-0001.service.d/"

# install_bin NAME GIVEN: /usr/bin/NAME in the root, from GIVEN, else the
# installed one, else a stub; prints the binary used ("" for the stub).
install_bin() {
	b=$2
	if [ -z "$b" ] && [ -x "/usr/bin/$1" ]; then
		b=/usr/bin/$1
	fi
	if [ -n "$b" ]; then
		cp "$b" "$root/usr/bin/$1"
		echo "== using binary $b" >&2
	else
		printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/$1"
		echo "== /usr/bin/$1 not installed: using a stub" >&2
	fi
	chmod 0755 "$root/usr/bin/$1"
	echo "$b"
}
bin=$(install_bin jig-manager "${JIG_MANAGER_BIN:-}")
install_bin jig-gateway "${JIG_GATEWAY_BIN:-}" >/dev/null

for name in jig-manager@JIG-0001.service jig-manager@SIM-0001.service jig-gateway.service; do
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
echo "== gateway unit invariants"
check "gateway: no secret on the command line" \
	sh -c '! grep -Ei "^ExecStart=.*(pass|token|amqps?://)" "$1"' _ "$gwunit"
check "gateway: secrets come from EnvironmentFile=-/etc/jig-manager/gateway.env" \
	grep -qx 'EnvironmentFile=-/etc/jig-manager/gateway.env' "$gwunit"
check "gateway: reads /etc/jig-manager/gateway.yaml" \
	grep -qx 'ExecStart=/usr/bin/jig-gateway --config /etc/jig-manager/gateway.yaml' "$gwunit"
check "gateway: no device access at all" \
	sh -c 'grep -qx "DevicePolicy=closed" "$1" && ! grep -q "^DeviceAllow=" "$1"' _ "$gwunit"
check "gateway: empty capability bounding set" grep -qx 'CapabilityBoundingSet=' "$gwunit"
check "gateway: unprivileged user" grep -qx 'User=jig-manager' "$gwunit"
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
