#!/bin/sh
# add-controller.sh NAME [PASSWORD|-]
#
# Creates (or updates) a controller user NAME (jigctl, a line controller, a
# MES): it may ask any fixture for anything and receive the answers, and
# nothing else:
#
#   configure  ^(amq\.gen-.*|jigmq\.reply\..*)$
#                               declare reply queues: server-named (shared
#                               mode, events), client-named (per-request mode)
#   write      ^(amq\.topic|amq\.gen-.*)$
#                               publish requests; bind its own server-named
#                               queue (bind = write on the queue)
#   read       ^(amq\.gen-.*|jigmq\.reply\..*|amq\.topic)$
#                               consume its reply queues; bind its own
#                               server-named queue from amq.topic (events)
#   topic permissions on amq.topic:
#     write    ^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\.Req\.[A-Za-z0-9_]+$
#              requests only: <serial>.Req.<Method> or _all.Req.<Method>
#     read     ^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|\*)\.Evt\.([A-Za-z0-9_]+|\*)$
#              binds events only (<serial>.Evt.*, *.Evt.*: jig-gateway,
#              jigctl watch), never requests (cannot eavesdrop on them)
#
# Direct reply-to (amq.rabbitmq.reply-to) needs no extra permission. The
# classic tutorial client (rpc_queue on the default exchange) is not covered:
# give it its own user with write on amq.default if it must stay.
#
# Idempotent; PASSWORD as for add-fixture.sh (argument, "-" for stdin, or
# generated and printed once on stdout). Environment: RABBITMQCTL, VHOST,
# FORCE (see lib.sh).
set -eu
prog=add-controller.sh
. "$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $prog NAME [PASSWORD|-]"
name=$1
valid_name "$name" || die "invalid name '$name': must match $NAME_RE"
read_password "${2-}"

upsert_user "$name" "$password"
# Topic permissions before vhost permissions: see set_and_verify in lib.sh.
set_and_verify "$name" \
	'^(amq\.gen-.*|jigmq\.reply\..*)$' \
	'^(amq\.topic|amq\.gen-.*)$' \
	'^(amq\.gen-.*|jigmq\.reply\..*|amq\.topic)$' \
	'^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\.Req\.[A-Za-z0-9_]+$' \
	'^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|\*)\.Evt\.([A-Za-z0-9_]+|\*)$'

if [ "$generated" = 1 ]; then
	printf '%s\n' "$password"
fi
