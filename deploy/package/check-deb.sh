#!/bin/sh
# check-deb.sh DEB: assert what a jig-manager .deb built by build-deb.sh
# contains, without installing it.
#
# - dpkg-deb -I: control fields, the control members (conffiles, executable
#   postinst/prerm/postrm);
# - dpkg-deb -c: exactly the expected files, with their modes, all root/root;
# - the extracted package: the conffile list, the unit identical to the
#   repository's (when run from a checkout), binaries static ELF with READY=1
#   and WATCHDOG=1, `jig-manager --version` stamped (not "dev") when the
#   architecture is the host's;
# - the maintainer scripts: `sh -n`, and a dry run of each in the situations
#   dpkg calls them in, with every system command (useradd, systemctl, ...)
#   replaced by a stub that logs its arguments and with /etc and /run paths
#   redirected into a temporary directory, so nothing on this host changes.
#
# With INSTALL_TEST=1 (root, unshare, overlayfs) it also installs, upgrades,
# removes and purges the package for real with dpkg, inside a private mount
# namespace on a copy-on-write overlay of /: nothing on the host changes.
#
# Exits non-zero on any failure.
set -u
prog=check-deb.sh
[ $# -eq 1 ] || {
	echo "usage: $prog DEB" >&2
	exit 2
}
deb=$1
[ -f "$deb" ] || {
	echo "$prog: $deb: no such file" >&2
	exit 2
}
command -v dpkg-deb >/dev/null 2>&1 || {
	echo "$prog: dpkg-deb not found" >&2
	exit 2
}
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH= cd -- "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fails=0
ok() { echo "ok    $*"; }
bad() {
	echo "FAIL  $*"
	fails=$((fails + 1))
}
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi
}

echo "== dpkg-deb -I $deb"
info=$(dpkg-deb -I "$deb") || {
	bad "dpkg-deb -I failed"
	exit 1
}
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: jig-manager" test "$(field Package)" = jig-manager
version=$(field Version)
check "Version '$version' is a valid Debian version" \
	sh -c 'printf "%s" "$1" | grep -Eq "^[0-9][A-Za-z0-9.+~]*$"' _ "$version"
arch=$(field Architecture)
check "Architecture '$arch' set" test -n "$arch"
check "Maintainer set" test -n "$(field Maintainer)"
check "Depends on passwd (useradd, groupadd, usermod)" sh -c 'printf "%s" "$1" | grep -qw passwd' _ "$(field Depends)"
check "Description set" test -n "$(field Description)"
for m in conffiles control; do
	check "control member $m" sh -c 'printf "%s\n" "$1" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +$2 "' _ "$info" "$m"
done
for m in postinst prerm postrm; do
	check "control member $m is an executable shell script" \
		sh -c 'printf "%s\n" "$1" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$2 +#!/bin/sh"' _ "$info" "$m"
done

echo "== dpkg-deb -c $deb"
dpkg-deb -c "$deb" >"$tmp/list" || bad "dpkg-deb -c failed"
# "MODE OWNER PATH" for every entry, sizes and dates dropped.
awk '{ print $1, $2, $6 }' "$tmp/list" | sort >"$tmp/have"
sort >"$tmp/want" <<'EOF'
drwxr-xr-x root/root ./
drwxr-xr-x root/root ./etc/
drwxr-xr-x root/root ./etc/jig-manager/
-rw-r--r-- root/root ./etc/jig-manager/example.yaml
-rw-r--r-- root/root ./etc/jig-manager/gateway.example.yaml
drwxr-xr-x root/root ./lib/
drwxr-xr-x root/root ./lib/systemd/
drwxr-xr-x root/root ./lib/systemd/system/
-rw-r--r-- root/root ./lib/systemd/system/jig-gateway.service
-rw-r--r-- root/root ./lib/systemd/system/jig-manager@.service
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/jig-gateway
-rwxr-xr-x root/root ./usr/bin/jig-manager
-rwxr-xr-x root/root ./usr/bin/jigsim
drwxr-xr-x root/root ./usr/lib/
drwxr-xr-x root/root ./usr/lib/modules-load.d/
-rw-r--r-- root/root ./usr/lib/modules-load.d/jig-manager.conf
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/doc/
drwxr-xr-x root/root ./usr/share/doc/jig-manager/
-rw-r--r-- root/root ./usr/share/doc/jig-manager/README.md
drwxr-xr-x root/root ./usr/share/doc/jig-manager/examples/
-rw-r--r-- root/root ./usr/share/doc/jig-manager/examples/99-jig-fixture.rules
-rw-r--r-- root/root ./usr/share/doc/jig-manager/examples/simulator.conf
EOF
if diff "$tmp/want" "$tmp/have" >"$tmp/diff"; then
	ok "exactly the expected files, modes and owners"
else
	bad "file list differs (< expected, > in the package):"
	sed 's/^/      /' "$tmp/diff"
fi

echo "== contents"
x=$tmp/x
dpkg-deb -R "$deb" "$x" || bad "dpkg-deb -R failed"
check "conffiles lists exactly the two example configs" \
	test "$(cat "$x/DEBIAN/conffiles")" = "$(printf '%s\n' /etc/jig-manager/example.yaml /etc/jig-manager/gateway.example.yaml)"
check "example.yaml is not empty" test -s "$x/etc/jig-manager/example.yaml"
if [ -f "$repo/deploy/systemd/jig-manager@.service" ]; then
	check "the unit is deploy/systemd/jig-manager@.service" \
		cmp "$x/lib/systemd/system/jig-manager@.service" "$repo/deploy/systemd/jig-manager@.service"
fi
if [ -f "$repo/deploy/systemd/jig-gateway.service" ]; then
	check "the gateway unit is deploy/systemd/jig-gateway.service" \
		cmp "$x/lib/systemd/system/jig-gateway.service" "$repo/deploy/systemd/jig-gateway.service"
fi
check "the gateway unit runs /usr/bin/jig-gateway" \
	grep -q '^ExecStart=/usr/bin/jig-gateway ' "$x/lib/systemd/system/jig-gateway.service"
check "the unit runs /usr/bin/jig-manager" grep -q '^ExecStart=/usr/bin/jig-manager ' "$x/lib/systemd/system/jig-manager@.service"
check "modules-load.d lists usbserial and cdc_acm" \
	sh -c 'grep -qx usbserial "$1" && grep -qx cdc_acm "$1"' _ "$x/usr/lib/modules-load.d/jig-manager.conf"
for b in jig-manager jigsim jig-gateway; do
	f=$x/usr/bin/$b
	check "$b is an ELF executable" sh -c 'head -c 4 "$1" | grep -q "ELF"' _ "$f"
	if command -v readelf >/dev/null 2>&1; then
		check "$b is static (no program interpreter)" sh -c '! readelf -l "$1" | grep -q "Requesting program interpreter"' _ "$f"
	fi
done
check "jig-manager sends READY=1 (Type=notify)" grep -qa 'READY=1' "$x/usr/bin/jig-manager"
check "jig-manager sends WATCHDOG=1 (WatchdogSec=)" grep -qa 'WATCHDOG=1' "$x/usr/bin/jig-manager"
host_arch=$(dpkg --print-architecture 2>/dev/null || echo unknown)
if [ "$arch" = "$host_arch" ]; then
	v=$("$x/usr/bin/jig-manager" --version 2>&1)
	check "jig-manager --version is stamped ('$v')" sh -c 'case "$1" in "jig-manager "*) [ "$1" != "jig-manager dev" ] ;; *) false ;; esac' _ "$v"
	check "jigsim runs (-h)" sh -c '"$1" -h 2>&1 | grep -q "pseudo-terminal"' _ "$x/usr/bin/jigsim"
else
	echo "skip  running the binaries ($arch package on a $host_arch host)"
fi

echo "== maintainer scripts"
for s in postinst prerm postrm; do
	check "$s: sh -n" sh -n "$x/DEBIAN/$s"
	check "$s: set -e" grep -qx 'set -e' "$x/DEBIAN/$s"
done
check "postinst creates a system user without login" \
	sh -c 'grep -q "useradd --system" "$1" && grep -q "/usr/sbin/nologin" "$1"' _ "$x/DEBIAN/postinst"
check "postinst puts it in dialout" grep -q 'usermod --append --groups dialout' "$x/DEBIAN/postinst"
check "postinst only talks to systemd when it runs" grep -q '\[ -d /run/systemd/system \]' "$x/DEBIAN/postinst"

# Dry runs. Stubs log "NAME ARGS" to $log; getent answers from $tmp/db.
fake=$tmp/fake
stubs=$tmp/stubs
log=$tmp/calls
mkdir -p "$stubs" "$fake/etc/jig-manager" "$fake/etc/systemd/system/multi-user.target.wants"
for c in groupadd useradd usermod chown chmod systemctl modprobe dpkg-statoverride; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$log" >"$stubs/$c"
done
# dpkg-statoverride: no override registered.
printf '#!/bin/sh\necho "dpkg-statoverride $*" >>"%s"\nexit 1\n' "$log" >"$stubs/dpkg-statoverride"
# getent group|passwd NAME: present iff listed in $tmp/db.
printf '#!/bin/sh\ngrep -qx "$1 $2" "%s"\n' "$tmp/db" >"$stubs/getent"
chmod +x "$stubs"/*
for s in postinst prerm postrm; do
	sed -e "s|/run/systemd/system|$fake/run/systemd/system|g" \
		-e "s|/etc/systemd/system|$fake/etc/systemd/system|g" \
		-e "s|/etc/jig-manager|$fake/etc/jig-manager|g" "$x/DEBIAN/$s" >"$tmp/$s"
	chmod +x "$tmp/$s"
done
# run NAME ARGS...: run a rewritten maintainer script with the stubs.
run() {
	: >"$log"
	name=$1
	shift
	PATH=$stubs:/usr/bin:/bin "$tmp/$name" "$@" >"$tmp/run.out" 2>&1
}
called() { grep -qxF -- "$1" "$log"; }
not_called() { ! grep -Eq -- "^$1" "$log"; }

echo "-- fresh install, systemd running"
printf 'group dialout\n' >"$tmp/db"
mkdir -p "$fake/run/systemd/system"
if run postinst configure ""; then ok "postinst configure exits 0"; else bad "postinst configure failed: $(cat "$tmp/run.out")"; fi
check "creates group jig-manager" called "groupadd --system jig-manager"
check "creates user jig-manager" called "useradd --system --gid jig-manager --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment jigmq fixture manager jig-manager"
check "adds it to dialout" called "usermod --append --groups dialout jig-manager"
check "/etc/jig-manager -> root:jig-manager" called "chown root:jig-manager $fake/etc/jig-manager"
check "/etc/jig-manager -> 0750" called "chmod 0750 $fake/etc/jig-manager"
check "loads usbserial" called "modprobe -q usbserial"
check "systemctl daemon-reload" called "systemctl daemon-reload"
check "starts nothing on a first install" not_called "systemctl (--no-block )?(start|try-restart|restart|enable)"

echo "-- upgrade, user exists"
printf 'group dialout\ngroup jig-manager\npasswd jig-manager\n' >"$tmp/db"
if run postinst configure 1.0.0; then ok "postinst configure 1.0.0 exits 0"; else bad "postinst upgrade failed: $(cat "$tmp/run.out")"; fi
check "does not re-create the user" not_called "(useradd|groupadd)"
check "still repairs dialout membership" called "usermod --append --groups dialout jig-manager"
check "restarts running instances, without waiting for them to serve" \
	called "systemctl --no-block try-restart jig-manager@*.service"
check "restarts the gateway if it runs" called "systemctl --no-block try-restart jig-gateway.service"

echo "-- install without systemd (container, chroot)"
rm -rf "$fake/run/systemd"
if run postinst configure ""; then ok "postinst exits 0"; else bad "postinst failed: $(cat "$tmp/run.out")"; fi
check "no systemctl call" not_called "systemctl"
printf 'passwd jig-manager\ngroup jig-manager\n' >"$tmp/db"
if run postinst configure ""; then ok "postinst exits 0 without a dialout group"; else bad "postinst failed without dialout: $(cat "$tmp/run.out")"; fi
check "and says so" grep -q "dialout does not exist" "$tmp/run.out"
mkdir -p "$fake/run/systemd/system"

echo "-- prerm / postrm"
if run prerm remove; then ok "prerm remove exits 0"; else bad "prerm remove failed"; fi
check "stops all instances" called "systemctl stop jig-manager@*.service"
check "stops the gateway" called "systemctl stop jig-gateway.service"
if run prerm upgrade 1.1.0; then ok "prerm upgrade exits 0"; else bad "prerm upgrade failed"; fi
check "does not stop on upgrade" not_called "systemctl"
if run postrm remove; then ok "postrm remove exits 0"; else bad "postrm remove failed"; fi
check "daemon-reload after remove" called "systemctl daemon-reload"
ln -s /lib/systemd/system/jig-manager@.service "$fake/etc/systemd/system/multi-user.target.wants/jig-manager@JIG-0001.service"
ln -s /lib/systemd/system/jig-gateway.service "$fake/etc/systemd/system/multi-user.target.wants/jig-gateway.service"
ln -s /lib/systemd/system/other.service "$fake/etc/systemd/system/multi-user.target.wants/other.service"
if run postrm purge; then ok "postrm purge exits 0"; else bad "postrm purge failed: $(cat "$tmp/run.out")"; fi
check "purge removes the instances' enable links" test ! -L "$fake/etc/systemd/system/multi-user.target.wants/jig-manager@JIG-0001.service"
check "and the gateway's" test ! -L "$fake/etc/systemd/system/multi-user.target.wants/jig-gateway.service"
check "and no other links" test -L "$fake/etc/systemd/system/multi-user.target.wants/other.service"
check "purge keeps the system user" not_called "(userdel|groupdel)"
for s in postinst prerm postrm; do
	if run "$s" bogus-argument; then bad "$s accepted an unknown argument"; else ok "$s rejects an unknown argument"; fi
done

if [ "${INSTALL_TEST:-0}" = 1 ]; then
	echo "== real dpkg install / upgrade / remove / purge on a throwaway overlay of /"
	# In a private mount namespace, a copy-on-write overlay of the root file
	# system on a tmpfs: dpkg and the maintainer scripts really run (useradd
	# and all), and everything vanishes with the namespace.
	cat >"$tmp/install.sh" <<'EOF'
set -e
deb=$1
mount -t tmpfs none /mnt
mkdir -p /mnt/upper /mnt/work /mnt/merged
mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/merged
mount --bind /proc /mnt/merged/proc
mount --bind /dev /mnt/merged/dev
cp "$deb" /mnt/merged/root/test.deb
chroot /mnt/merged sh -c '
set -e
say() { echo "STEP $*"; }
dpkg -i /root/test.deb >/dev/null
say installed "$(dpkg-query -W -f="\${Status}" jig-manager)"
say user "$(id jig-manager)"
say shell "$(getent passwd jig-manager | cut -d: -f6,7)"
say etc "$(stat -c "%U:%G %a" /etc/jig-manager)"
say bin "$(stat -c "%U:%G %a" /usr/bin/jig-manager)"
echo "serial: X" > /etc/jig-manager/JIG-0001.yaml
dpkg -i /root/test.deb >/dev/null
say reinstalled "$(dpkg-query -W -f="\${Status}" jig-manager)"
dpkg -r jig-manager >/dev/null
say removed "$(dpkg-query -W -f="\${Status}" jig-manager)" "$(test -e /usr/bin/jig-manager && echo bin-present || echo bin-gone)"
dpkg -P jig-manager >/dev/null 2>&1
say purged "$(dpkg-query -W -f="\${Status}" jig-manager 2>/dev/null || echo not-installed)" "$(test -e /etc/jig-manager/example.yaml && echo conffile-present || echo conffile-gone)" "$(test -e /etc/jig-manager/JIG-0001.yaml && echo operator-file-kept || echo operator-file-gone)"
'
EOF
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
		bad "INSTALL_TEST=1 needs root and unshare"
	elif unshare -m --propagation private sh "$tmp/install.sh" "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")" >"$tmp/install.out" 2>&1; then
		steps=$(grep '^STEP ' "$tmp/install.out")
		expect() { # expect DESCRIPTION LINE
			if printf '%s\n' "$steps" | grep -qxF -- "STEP $2"; then ok "$1"; else
				bad "$1: want 'STEP $2'"
				printf '%s\n' "$steps" | sed 's/^/      /'
			fi
		}
		expect "dpkg -i installs it" "installed install ok installed"
		if printf '%s\n' "$steps" | grep -Eq '^STEP user uid=[0-9]+\(jig-manager\) gid=[0-9]+\(jig-manager\) groups=.*[0-9]+\(dialout\)'; then
			ok "system user jig-manager, own group, in dialout"
		else bad "user: $(printf '%s\n' "$steps" | grep '^STEP user')"; fi
		expect "no home, no login shell" "shell /nonexistent:/usr/sbin/nologin"
		expect "/etc/jig-manager is root:jig-manager 750" "etc root:jig-manager 750"
		expect "/usr/bin/jig-manager is root:root 755" "bin root:root 755"
		expect "reinstall (upgrade path) works" "reinstalled install ok installed"
		expect "dpkg -r removes the binaries, keeps config" "removed deinstall ok config-files bin-gone"
		expect "dpkg -P purges the conffile, keeps the operator's files" "purged not-installed conffile-gone operator-file-kept"
	else
		bad "overlay install test failed:"
		sed 's/^/      /' "$tmp/install.out"
	fi
fi

echo
if [ "$fails" -ne 0 ]; then
	echo "$prog: $fails check(s) FAILED"
	exit 1
fi
echo "$prog: all checks passed ($(basename "$deb"))"
