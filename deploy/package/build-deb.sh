#!/bin/sh
# build-deb.sh OUTDIR VERSION: build jig-manager_<version>_<arch>.deb for
# fixture PCs with nothing but go and dpkg-deb.
#
# Contents:
#   /usr/bin/jig-manager, /usr/bin/jigsim,
#   /usr/bin/jig-gateway                       static (CGO_ENABLED=0) builds
#   /lib/systemd/system/jig-gateway.service    the floor's HTTP gateway (not enabled)
#   /etc/jig-manager/gateway.example.yaml      conffile, from configs/
#   /lib/systemd/system/jig-manager@.service   the hardened template unit
#   /usr/lib/modules-load.d/jig-manager.conf   usbserial, cdc_acm at boot
#   /etc/jig-manager/example.yaml              conffile, from configs/
#   /usr/share/doc/jig-manager/                README (deploy/README.md),
#                                              examples: udev rules, simulator
#                                              drop-in
# Maintainer scripts (deploy/package/debian/): postinst creates the system
# user jig-manager (group jig-manager, member of dialout), sets up
# /etc/jig-manager, reloads systemd if it is running and restarts running
# instances and the gateway on upgrade; prerm stops them on removal; postrm
# reloads systemd and on purge removes their enable links.
#
# VERSION is what `jig-manager --version` prints (e.g. `git describe`
# output). The package version is derived from it: a leading "v" dropped,
# "-" and "_" turned into "+", and "0~git" prefixed unless it starts like a
# release number (v1.2.0 -> 1.2.0, v1.2.0-3-gabc -> 1.2.0+3+gabc,
# 7a572b9-dirty -> 0~git7a572b9+dirty).
#
# Environment:
#   GOARCH (GOARM)   target (default: the host's); the Debian architecture
#                    follows: amd64, arm64, armhf (GOARCH=arm, GOARM=7), i386
#   EXAMPLE_CONFIG   example config (default configs/jig-manager.example.yaml)
#   MAINTAINER       control file's Maintainer field
#   ALLOW_NO_WATCHDOG=1  package a jig-manager that never sends WATCHDOG=1
#                    (the unit's WatchdogSec= would kill it every 30 s)
#   SOURCE_DATE_EPOCH  timestamps (default: the last commit's time)
set -eu
prog=build-deb.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $prog OUTDIR VERSION"
outdir=$1
version=$2
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH= cd -- "$here/../.." && pwd)
example=${EXAMPLE_CONFIG:-$repo/configs/jig-manager.example.yaml}
maintainer=${MAINTAINER:-jigmq maintainers <jigmq@example.invalid>}
pkg=jig-manager

command -v go >/dev/null 2>&1 || die "go not found"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found"
printf '%s' "$version" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9.+~_-]*$' ||
	die "VERSION '$version' must be letters, digits and . + ~ _ -"

# Debian package version.
debver=${version#v}
debver=$(printf '%s' "$debver" | tr '_-' '++')
# A release starts with a number and a dot (1.2.0) or is a plain number;
# anything else (a bare commit hash, even one starting with a digit) sorts
# before every release.
if ! printf '%s' "$debver" | grep -Eq '^[0-9]+(\.|$)'; then
	debver=0~git$debver
fi
printf '%s' "$debver" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$' || die "cannot derive a Debian version from '$version'"

# Architecture.
goarch=${GOARCH:-$(go env GOARCH)}
case $goarch in
amd64) arch=amd64 ;;
arm64) arch=arm64 ;;
386) arch=i386 ;;
arm)
	goarm=${GOARM:-$(go env GOARM)}
	case $goarm in
	7*) arch=armhf ;;
	*) arch=armel ;;
	esac
	;;
riscv64) arch=riscv64 ;;
*) die "no Debian architecture known for GOARCH=$goarch" ;;
esac

for f in "$repo/deploy/systemd/jig-manager@.service" "$repo/deploy/systemd/jig-manager.modules-load.conf" \
	"$repo/deploy/README.md" "$repo/deploy/udev/99-jig-fixture.rules" "$repo/deploy/systemd/simulator.conf" \
	"$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm"; do
	[ -f "$f" ] || die "missing $f"
done
[ -f "$example" ] || die "example config $example not found (set EXAMPLE_CONFIG=...)"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root
umask 022

# 1. Binaries: static, stripped of paths, version stamped.
mkdir -p "$root/usr/bin"
for cmd in jig-manager jigsim jig-gateway; do
	[ -d "$repo/cmd/$cmd" ] || die "$repo/cmd/$cmd does not exist (yet?): cannot package it"
	echo "$prog: go build ./cmd/$cmd (GOARCH=$goarch)" >&2
	if ! (cd "$repo" && CGO_ENABLED=0 GOARCH=$goarch go build -trimpath \
		-ldflags "-s -w -X main.version=$version" -o "$root/usr/bin/$cmd" "./cmd/$cmd") 2>"$tmp/build.err"; then
		cat "$tmp/build.err" >&2
		die "go build ./cmd/$cmd failed: fix the build above before packaging"
	fi
done
if ! grep -qa 'WATCHDOG=1' "$root/usr/bin/jig-manager"; then
	if [ "${ALLOW_NO_WATCHDOG:-0}" = 1 ]; then
		echo "$prog: WARNING: jig-manager never sends WATCHDOG=1; the unit's WatchdogSec=30s will kill it every 30s" >&2
	else
		die "jig-manager never sends WATCHDOG=1 but jig-manager@.service sets WatchdogSec=30s: systemd would kill it 30s after every start. Add the watchdog ping to cmd/jig-manager (or ALLOW_NO_WATCHDOG=1 to build anyway)"
	fi
fi

# 2. Files.
install -D -m 0644 "$repo/deploy/systemd/jig-manager@.service" "$root/lib/systemd/system/jig-manager@.service"
install -D -m 0644 "$repo/deploy/systemd/jig-manager.modules-load.conf" "$root/usr/lib/modules-load.d/jig-manager.conf"
install -D -m 0644 "$example" "$root/etc/jig-manager/example.yaml"
install -D -m 0644 "$repo/deploy/systemd/jig-gateway.service" "$root/lib/systemd/system/jig-gateway.service"
install -D -m 0644 "$repo/configs/jig-gateway.example.yaml" "$root/etc/jig-manager/gateway.example.yaml"
doc=$root/usr/share/doc/$pkg
install -D -m 0644 "$repo/deploy/README.md" "$doc/README.md"
install -D -m 0644 "$repo/deploy/udev/99-jig-fixture.rules" "$doc/examples/99-jig-fixture.rules"
install -D -m 0644 "$repo/deploy/systemd/simulator.conf" "$doc/examples/simulator.conf"

# 3. Control area.
mkdir -p "$root/DEBIAN"
for s in postinst prerm postrm; do
	install -m 0755 "$here/debian/$s" "$root/DEBIAN/$s"
done
printf '%s\n' /etc/jig-manager/example.yaml /etc/jig-manager/gateway.example.yaml >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $debver
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: passwd
Recommends: systemd
Suggests: udev
Section: admin
Priority: optional
Homepage: https://github.com/jigmq/jigmq
Description: jigmq fixture manager: answers status requests for a test fixture over RabbitMQ
 jig-manager runs on a test fixture's PC, one instance per fixture
 (systemctl enable --now jig-manager@<serial>), reads the fixture's
 controller board over its serial port and answers JigStatus, Ping and Fib
 requests from the factory floor's RabbitMQ bus. jigsim simulates a
 fixture's board on a pseudo-terminal for testing without hardware.
EOF

# 4. Timestamps and the archive.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$outdir"
deb=$outdir/${pkg}_${debver}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$prog: built $deb (jig-manager --version: $version)" >&2
printf '%s\n' "$deb"
