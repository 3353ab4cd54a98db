#!/bin/sh
# add-fixture.sh SERIAL [PASSWORD|-]
#
# Creates (or updates) the broker user of one fixture's jig-manager,
# jig-SERIAL, with exactly the rights the wire contract needs:
#
#   configure  ^jig\.SERIAL$                      declare its own queue
#   write      ^(amq\.default|amq\.topic|jig\.SERIAL)$
#                                                 replies via the default
#                                                 exchange; events on
#                                                 amq.topic; bind its queue
#   read       ^(amq\.topic|jig\.SERIAL)$         bind from amq.topic; consume
#   topic permissions on amq.topic:
#     write    ^SERIAL\.Evt\.[A-Za-z0-9_]+$       its own events only: no
#                                                 requests, no one else's
#     read     ^(SERIAL|_all)\.Req\.              binds only its own and the
#                                                 broadcast request keys
#   limits     max-connections 4, max-channels 64
#
# Idempotent: run it again to re-apply the permissions or rotate the
# password. PASSWORD is taken from the argument, from stdin with "-", or
# generated (32 alphanumerics) and then printed once on stdout, the only
# thing this script prints there:
#
#   pw=$(deploy/rabbitmq/add-fixture.sh JIG-0001)
#
# Environment: RABBITMQCTL, VHOST, FORCE (see lib.sh). Needs to run where
# rabbitmqctl can reach the node (usually as root on a broker host).
set -eu
prog=add-fixture.sh
. "$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $prog SERIAL [PASSWORD|-]"
serial=$1
valid_name "$serial" || die "invalid serial '$serial': must match $NAME_RE"
read_password "${2-}"

user=jig-$serial
upsert_user "$user" "$password"
# Topic permissions before vhost permissions: see set_and_verify in lib.sh.
set_and_verify "$user" \
	"^jig\\.$serial\$" \
	"^(amq\\.default|amq\\.topic|jig\\.$serial)\$" \
	"^(amq\\.topic|jig\\.$serial)\$" \
	"^$serial\\.Evt\\.[A-Za-z0-9_]+\$" \
	"^($serial|_all)\\.Req\\."
ctl set_user_limits "$user" '{"max-connections": 4, "max-channels": 64}' ||
	die "set_user_limits $user failed"

if [ "$generated" = 1 ]; then
	printf '%s\n' "$password"
fi
