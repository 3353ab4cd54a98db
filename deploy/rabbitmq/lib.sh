# lib.sh: shared by add-fixture.sh and add-controller.sh (sourced, not run).
#
# Environment:
#   RABBITMQCTL  the rabbitmqctl command (default "rabbitmqctl"; e.g.
#                "rabbitmqctl -n rabbit@broker1" for another node)
#   VHOST        the virtual host (default "/")
#   FORCE=1      allow rewriting a user that has tags (administrator,
#                monitoring, ...): by default such a user is left alone, so
#                a typo cannot strip an operator's admin rights.

RABBITMQCTL=${RABBITMQCTL:-rabbitmqctl}
VHOST=${VHOST:-/}

# The fixture serial / user name rule of the wire contract.
NAME_RE='^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'

die() {
	echo "$prog: $*" >&2
	exit 1
}

say() {
	echo "$prog: $*" >&2
}

# ctl ARGS...: run rabbitmqctl quietly; its chatter goes to stderr so that
# stdout carries nothing but a generated password.
ctl() {
	# shellcheck disable=SC2086 # RABBITMQCTL may carry options on purpose
	$RABBITMQCTL -q "$@" >&2
}

valid_name() {
	printf '%s\n' "$1" | grep -Eq "$NAME_RE" && [ "$(printf '%s' "$1" | wc -l)" -eq 0 ]
}

# user_tags USER: prints the user's tags field ("[]" when none) if the user
# exists, nothing otherwise.
user_tags() {
	# shellcheck disable=SC2086
	$RABBITMQCTL -q list_users --no-table-headers 2>/dev/null |
		awk -F '\t' -v u="$1" '$1 == u { print $2; found = 1 } END { exit !found }'
}

# gen_password: 32 characters from [A-Za-z0-9], ~190 bits. Alphanumeric so
# that it survives URLs (amqp://user:pass@host), YAML and env files unquoted.
gen_password() {
	if command -v openssl >/dev/null 2>&1; then
		pw=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-32)
	else
		pw=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-32)
	fi
	[ "${#pw}" -eq 32 ] || die "could not generate a password"
	printf '%s' "$pw"
}

# upsert_user USER PASSWORD: create USER or change its password, and clear
# its tags. The password goes to rabbitmqctl on stdin, never on its command
# line (where ps(1) on the broker host would show it). A new user has no
# vhost permissions yet, so it cannot open the vhost until set_and_verify.
upsert_user() {
	_user=$1 _pw=$2
	if tags=$(user_tags "$_user"); then
		if [ "$tags" != "[]" ] && [ "${FORCE:-0}" != 1 ]; then
			die "user $_user exists with tags $tags; refusing to rewrite it (FORCE=1 to override)"
		fi
		say "user $_user exists: changing its password"
		printf '%s\n' "$_pw" | ctl change_password "$_user" || die "change_password $_user failed"
	else
		say "creating user $_user"
		printf '%s\n' "$_pw" | ctl add_user "$_user" || die "add_user $_user failed"
	fi
	# No management/administrator tags: these users only speak AMQP.
	ctl set_user_tags "$_user" || die "set_user_tags $_user failed"
}

# expect_record WHAT ACTUAL WANT: fail unless the listed record matches.
expect_record() {
	if ! printf '%s\n' "$2" | grep -qxF -- "$3"; then
		say "verification FAILED: $1"
		say "  want: $3"
		say "  have: $(printf '%s' "$2" | tr '\n' '|')"
		exit 1
	fi
}

# set_and_verify USER CONF WRITE READ TWRITE TREAD: topic permissions on
# amq.topic FIRST, read them back, and only then grant the vhost permissions
# and read those back.
#
# Order matters: RabbitMQ's topic authorisation is permissive for a user
# without a topic-permission record on an exchange (any routing key may be
# published and any binding key bound). Setting and checking the record
# before granting the vhost permissions means there is no moment, even when
# something fails half-way, in which the user can open the vhost without
# topic restrictions.
set_and_verify() {
	_user=$1 _conf=$2 _write=$3 _read=$4 _twrite=$5 _tread=$6
	tab=$(printf '\t')

	ctl set_topic_permissions -p "$VHOST" "$_user" amq.topic "$_twrite" "$_tread" ||
		die "set_topic_permissions $_user failed"
	# shellcheck disable=SC2086
	topic=$($RABBITMQCTL -q list_user_topic_permissions --no-table-headers "$_user") ||
		die "list_user_topic_permissions $_user failed"
	expect_record "topic permissions of $_user on amq.topic in $VHOST" "$topic" \
		"$VHOST${tab}amq.topic${tab}$_twrite${tab}$_tread"

	ctl set_permissions -p "$VHOST" "$_user" "$_conf" "$_write" "$_read" ||
		die "set_permissions $_user failed"
	# shellcheck disable=SC2086
	perms=$($RABBITMQCTL -q list_user_permissions --no-table-headers "$_user") ||
		die "list_user_permissions $_user failed"
	expect_record "permissions of $_user in $VHOST" "$perms" \
		"$VHOST${tab}$_conf${tab}$_write${tab}$_read"
	say "verified: $_user has its topic permissions and permissions in vhost $VHOST"
}

# read_password ARG: ARG itself, "-" for one line from stdin, or empty for a
# generated one (then generated=1).
read_password() {
	generated=0
	case ${1-} in
	"")
		password=$(gen_password)
		generated=1
		;;
	-)
		IFS= read -r password || die "no password on stdin"
		;;
	*) password=$1 ;;
	esac
	[ -n "$password" ] || die "empty password"
}
