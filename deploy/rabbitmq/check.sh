#!/bin/sh
# check.sh: round trip of the RabbitMQ deployment pieces against a live
# broker, with throwaway names (TEST-<random>), cleaned up on exit.
#
#   deploy/rabbitmq/check.sh
#
# 1. add-fixture.sh / add-controller.sh: invalid names refused; users
#    created with generated passwords; permissions, topic permissions and
#    limits recorded exactly; re-runs idempotent (password rotated, records
#    unchanged); a user with tags refused; a broker that "loses" the topic
#    permissions makes add-fixture.sh fail WITHOUT having granted vhost access.
# 2. permcheck (Go, AMQP): the fixture and controller users can do what the
#    wire contract needs and are refused what they must not do.
# 3. definitions.json: imported into a throwaway vhost (names rewritten to
#    TESTDEF-<random>), records checked, and permcheck run against it.
#
# Needs rabbitmqctl access to the node (root on the broker host), and for
# steps 2 and 3 an AMQP listener at $AMQP_BASE (default
# amqp://127.0.0.1:5672), go and this repository; python3 for step 3.
# SKIP_AMQP=1 skips the AMQP parts. Exits non-zero on any failure.
set -u
prog=check.sh
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH= cd -- "$here/../.." && pwd)
RABBITMQCTL=${RABBITMQCTL:-rabbitmqctl}
AMQP_BASE=${AMQP_BASE:-amqp://127.0.0.1:5672}
export RABBITMQCTL

command -v "${RABBITMQCTL%% *}" >/dev/null 2>&1 || {
	echo "$prog: rabbitmqctl not found" >&2
	exit 2
}
# shellcheck disable=SC2086
$RABBITMQCTL -q status >/dev/null 2>&1 || {
	echo "$prog: rabbitmqctl cannot reach the node (run as root on the broker host?)" >&2
	exit 2
}

id=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')
serial=TEST-$id
fixture=jig-$serial
controller=jig-ctl-TEST-$id
tagged=TESTTAG-$id
notopic=TESTNOTOPIC-$id
defserial=TESTDEF-$id
defvhost=jigtest-$id
tmp=$(mktemp -d)

rmq() { # rabbitmqctl, quiet, output to stdout
	# shellcheck disable=SC2086
	$RABBITMQCTL -q "$@"
}
cleanup() {
	for u in "$fixture" "$controller" "$tagged" "jig-$notopic" "jig-$defserial" "jig-ctl-$defserial"; do
		rmq delete_user "$u" >/dev/null 2>&1 || true
	done
	rmq delete_vhost "$defvhost" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fails=0
ok() { echo "ok    $*"; }
bad() {
	echo "FAIL  $*"
	fails=$((fails + 1))
}
# expect_line DESC TEXT LINE: TEXT must contain LINE exactly.
expect_line() {
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then ok "$1"; else
		bad "$1"
		printf '      want: %s\n      have: %s\n' "$3" "$(printf '%s' "$2" | tr '\n' '|')"
	fi
}
auth() { # auth USER PASSWORD: 0 if the broker accepts the password
	printf '%s\n' "$2" | rmq authenticate_user "$1" >/dev/null 2>&1
}
tab=$(printf '\t')

echo "== names refused by add-fixture.sh / add-controller.sh"
long=$(printf 'A%.0s' $(seq 1 65))
for name in "" "bad.serial" "_all" "a*" "#" "-x" "a b" "$long" "$(printf 'ok\nbad')"; do
	for script in add-fixture.sh add-controller.sh; do
		if "$here/$script" "$name" some-password >/dev/null 2>&1; then
			bad "$script accepted invalid name '$name'"
		else
			ok "$script refused '$(printf '%s' "$name" | tr '\n' '~' | cut -c1-20)'"
		fi
	done
done

echo "== add-fixture.sh $serial (generated password)"
if pw=$("$here/add-fixture.sh" "$serial" 2>"$tmp/err"); then
	ok "add-fixture.sh exited 0"
else
	bad "add-fixture.sh failed: $(cat "$tmp/err")"
fi
if printf '%s' "$pw" | grep -Eqx '[A-Za-z0-9]{32}'; then ok "generated password printed once (32 alphanumerics)"; else bad "stdout was not one password: '$pw'"; fi
if auth "$fixture" "$pw"; then ok "$fixture authenticates with it"; else bad "$fixture cannot authenticate"; fi
topic_want="/${tab}amq.topic${tab}^$serial\\.Evt\\.[A-Za-z0-9_]+\$${tab}^($serial|_all)\\.Req\\."
perm_want="/${tab}^jig\\.$serial\$${tab}^(amq\\.default|amq\\.topic|jig\\.$serial)\$${tab}^(amq\\.topic|jig\\.$serial)\$"
expect_line "topic permissions record for $fixture" "$(rmq list_topic_permissions --no-table-headers -p /)" \
	"$fixture${tab}amq.topic${tab}^$serial\\.Evt\\.[A-Za-z0-9_]+\$${tab}^($serial|_all)\\.Req\\."
expect_line "permissions record for $fixture" "$(rmq list_user_permissions --no-table-headers "$fixture")" "$perm_want"
expect_line "connection limits for $fixture" "$(rmq list_user_limits --user "$fixture")" '{"max-channels":64,"max-connections":4}'
expect_line "no tags on $fixture" "$(rmq list_users --no-table-headers)" "$fixture${tab}[]"

echo "== add-fixture.sh $serial - (re-run, password from stdin)"
out=$(echo 'rotated-Password-1' | "$here/add-fixture.sh" "$serial" - 2>"$tmp/err")
if [ $? -eq 0 ] && [ -z "$out" ]; then ok "re-run exited 0 and printed no password"; else bad "re-run: rc/out wrong: '$out' $(cat "$tmp/err")"; fi
if auth "$fixture" 'rotated-Password-1'; then ok "new password works"; else bad "new password rejected"; fi
if auth "$fixture" "$pw"; then bad "old password still works"; else ok "old password no longer works"; fi
expect_line "topic permissions unchanged" "$(rmq list_user_topic_permissions --no-table-headers "$fixture")" "$topic_want"
expect_line "permissions unchanged" "$(rmq list_user_permissions --no-table-headers "$fixture")" "$perm_want"

echo "== add-controller.sh $controller"
if cpw=$("$here/add-controller.sh" "$controller" 2>"$tmp/err"); then ok "add-controller.sh exited 0"; else bad "add-controller.sh failed: $(cat "$tmp/err")"; fi
if auth "$controller" "$cpw"; then ok "$controller authenticates"; else bad "$controller cannot authenticate"; fi
expect_line "topic permissions record for $controller" "$(rmq list_user_topic_permissions --no-table-headers "$controller")" \
	"/${tab}amq.topic${tab}^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\\.Req\\.[A-Za-z0-9_]+\$${tab}^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|\\*)\\.Evt\\.([A-Za-z0-9_]+|\\*)\$"
expect_line "permissions record for $controller" "$(rmq list_user_permissions --no-table-headers "$controller")" \
	"/${tab}^(amq\\.gen-.*|jigmq\\.reply\\..*)\$${tab}^(amq\\.topic|amq\\.gen-.*)\$${tab}^(amq\\.gen-.*|jigmq\\.reply\\..*|amq\\.topic)\$"
if "$here/add-controller.sh" "$controller" "$cpw" >/dev/null 2>&1; then ok "add-controller.sh re-run is idempotent"; else bad "add-controller.sh re-run failed"; fi

echo "== a user with tags is left alone"
rmq add_user "$tagged" '' >/dev/null 2>&1 && rmq set_user_tags "$tagged" monitoring >/dev/null 2>&1
if "$here/add-controller.sh" "$tagged" some-password >/dev/null 2>&1; then
	bad "add-controller.sh rewrote a user with tags"
else
	ok "add-controller.sh refused a user with tags"
fi
expect_line "its tags are intact" "$(rmq list_users --no-table-headers)" "$tagged${tab}[monitoring]"
expect_line "and it got no permissions" "$(rmq list_user_permissions --no-table-headers "$tagged")" ""

echo "== a broker that loses the topic permissions: add-fixture.sh must fail before granting access"
cat >"$tmp/fake-rabbitmqctl" <<EOF
#!/bin/sh
for a in "\$@"; do [ "\$a" = set_topic_permissions ] && exit 0; done
exec $RABBITMQCTL "\$@"
EOF
chmod +x "$tmp/fake-rabbitmqctl"
if RABBITMQCTL=$tmp/fake-rabbitmqctl "$here/add-fixture.sh" "$notopic" some-password >/dev/null 2>"$tmp/err"; then
	bad "add-fixture.sh succeeded although no topic permissions were recorded"
else
	ok "add-fixture.sh failed: $(grep -m1 'FAILED' "$tmp/err")"
fi
expect_line "jig-$notopic got no vhost permissions" "$(rmq list_user_permissions --no-table-headers "jig-$notopic")" ""

# permcheck SERIAL CONTROLLER FIXTUREPW CONTROLLERPW VHOST
permcheck() {
	if [ "${SKIP_AMQP:-0}" = 1 ]; then
		echo "skip  permcheck (SKIP_AMQP=1)"
		return
	fi
	if ! command -v go >/dev/null 2>&1; then
		bad "go not found: cannot run permcheck (SKIP_AMQP=1 to skip)"
		return
	fi
	vh=$(printf '%s' "$5" | sed 's|/|%2F|g')
	if (cd "$repo" && FIXTURE_PASSWORD=$3 CONTROLLER_PASSWORD=$4 \
		timeout 180 go run ./deploy/rabbitmq/permcheck \
		-serial "$1" -controller "$2" -url "$AMQP_BASE/$vh") >"$tmp/permcheck.out" 2>&1; then
		sed 's/^/      /' "$tmp/permcheck.out"
		ok "permcheck (AMQP) against vhost $5"
	else
		sed 's/^/      /' "$tmp/permcheck.out"
		bad "permcheck (AMQP) against vhost $5"
	fi
}

echo "== AMQP: what the scripts' users may and may not do"
permcheck "$serial" "$controller" 'rotated-Password-1' "$cpw" /

echo "== definitions.json, imported into throwaway vhost $defvhost"
if ! command -v python3 >/dev/null 2>&1; then
	bad "python3 not found: cannot rewrite definitions.json for a throwaway import"
else
	python3 - "$here/definitions.json" "$tmp/defs.json" "$defserial" "$defvhost" <<'EOF'
import json, sys
src, dst, serial, vhost = sys.argv[1:]
def walk(x):
    if isinstance(x, dict):
        return {k: walk(v) for k, v in x.items()}
    if isinstance(x, list):
        return [walk(v) for v in x]
    if isinstance(x, str):
        if x == "/":
            return vhost
        return x.replace("JIG-0001", serial).replace("jig-controller", "jig-ctl-" + serial)
    return x
json.dump(walk(json.load(open(src))), open(dst, "w"), indent=1)
EOF
	# Debian's rabbitmqctl wrapper runs the CLI as user rabbitmq, which must
	# be able to read the file (and 3.10's "import_definitions -" does not
	# read stdin). The file holds no secrets: its password hashes are empty.
	chmod 0711 "$tmp" && chmod 0644 "$tmp/defs.json"
	if rmq import_definitions "$tmp/defs.json" >/dev/null 2>"$tmp/err"; then ok "import_definitions accepted the file"; else bad "import_definitions: $(cat "$tmp/err")"; fi
	# The import is asynchronous: wait for the last records to appear.
	i=0
	while [ $i -lt 30 ] && [ -z "$(rmq list_user_topic_permissions --no-table-headers "jig-ctl-$defserial" 2>/dev/null)" ]; do
		sleep 1
		i=$((i + 1))
	done
	expect_line "imported topic permissions of jig-$defserial" \
		"$(rmq list_user_topic_permissions --no-table-headers "jig-$defserial")" \
		"$defvhost${tab}amq.topic${tab}^$defserial\\.Evt\\.[A-Za-z0-9_]+\$${tab}^($defserial|_all)\\.Req\\."
	expect_line "imported permissions of jig-$defserial" \
		"$(rmq list_user_permissions --no-table-headers "jig-$defserial")" \
		"$defvhost${tab}^jig\\.$defserial\$${tab}^(amq\\.default|amq\\.topic|jig\\.$defserial)\$${tab}^(amq\\.topic|jig\\.$defserial)\$"
	expect_line "imported topic permissions of jig-ctl-$defserial" \
		"$(rmq list_user_topic_permissions --no-table-headers "jig-ctl-$defserial")" \
		"$defvhost${tab}amq.topic${tab}^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\\.Req\\.[A-Za-z0-9_]+\$${tab}^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|\\*)\\.Evt\\.([A-Za-z0-9_]+|\\*)\$"
	if auth "jig-$defserial" ''; then bad "imported user logs in with a blank password"; else ok "imported users have no usable password until one is set"; fi
	printf '%s\n' 'def-Fixture-pw-1' | rmq change_password "jig-$defserial" >/dev/null 2>&1
	printf '%s\n' 'def-Controller-pw-1' | rmq change_password "jig-ctl-$defserial" >/dev/null 2>&1
	echo "== AMQP: what the definitions' users may and may not do"
	permcheck "$defserial" "jig-ctl-$defserial" 'def-Fixture-pw-1' 'def-Controller-pw-1' "$defvhost"
fi

echo
if [ "$fails" -ne 0 ]; then
	echo "$prog: $fails check(s) FAILED"
	exit 1
fi
echo "$prog: all checks passed"
