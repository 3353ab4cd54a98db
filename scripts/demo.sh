#!/usr/bin/env bash
# The demo: a simulated fixture (jigsim), its jig-manager, jig-gateway (the
# floor's HTTP view) and jigctl asking it things. Expects `make build` and a
# broker on AMQP_URL (`make demo` does both). Run from a terminal (stdin a
# tty), it then keeps them up, the dashboard open, until Ctrl-C; otherwise
# (CI, `make demo </dev/null`) it stops at once. Stops everything it
# started, whatever happens. JIGMQ_DEMO_LISTEN is the gateway's address
# (default 127.0.0.1:8080; 127.0.0.1:0 for any free port).
set -uo pipefail
cd "$(dirname "$0")/.."
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
listen=${JIGMQ_DEMO_LISTEN:-127.0.0.1:8080}
dir=/tmp/jigmq-demo
mkdir -p "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
show() { say "$*"; "$@"; echo "(exit status $?)"; }
# http_get URL: the body of a GET to http://host:port/path, with bash alone.
http_get() {
  local rest=${1#http://} hostport path
  hostport=${rest%%/*} path=/${rest#*/}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || return
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

bin/jigsim --link "$dir/SIM-0001" >"$dir/jigsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -e $dir/SIM-0001 ]] && break; sleep 0.1; done

# The gateway first, so that it hears the manager's first events.
bin/jig-gateway --listen "$listen" --url "$AMQP_URL" >"$dir/gateway.out" 2>"$dir/gateway.log" &
gateway=$!
pids+=("$gateway")
dashboard=
for _ in $(seq 100); do
  dashboard=$(sed -n 's/^jig-gateway: dashboard at //p' "$dir/gateway.out")
  [[ -n $dashboard ]] && break
  kill -0 "$gateway" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $dashboard ]]; then
  echo "jig-gateway did not start on $listen (JIGMQ_DEMO_LISTEN picks another address):" >&2
  tail -3 "$dir/gateway.log" >&2
fi

bin/jig-manager --config configs/jig-manager.demo.yaml >"$dir/manager.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  bin/jigctl ping SIM-0001 --timeout 200ms >/dev/null 2>&1 && break
  sleep 0.1
done

echo "jigsim, jig-manager and jig-gateway are running (logs in $dir)."
[[ -n $dashboard ]] && echo "The dashboard: $dashboard"
show bin/jigctl status SIM-0001
show bin/jigctl ping SIM-0001
show bin/jigctl fib SIM-0001 90
show bin/jigctl fib --queue rpc_queue 30
show bin/jigctl status SIM-0001 -o json
show bin/jigctl list --expect 1
show bin/jigctl stats SIM-0001
show bin/jigctl fib SIM-0001 2000000
show bin/jigctl ping NO-SUCH-JIG
say "a second manager for SIM-0001"
bin/jig-manager --serial SIM-0001 --port "$dir/SIM-0001" 2>&1 | tail -1
if [[ -n $dashboard ]]; then
  say "the gateway's view of SIM-0001: GET ${dashboard}api/v1/fixtures/SIM-0001/ping"
  http_get "${dashboard}api/v1/fixtures/SIM-0001/ping"
fi
echo
if [[ -n $dashboard && -t 0 ]]; then
  printf '\n\033[1mThe dashboard: %s\033[0m  (Ctrl-C to stop)\n' "$dashboard"
  # Until Ctrl-C (the trap makes wait return) or the gateway ends.
  trap 'echo' INT
  wait "$gateway"
  trap - INT
  echo "Stopping jig-gateway, jig-manager and jigsim."
else
  [[ -n $dashboard ]] && echo "The dashboard was at $dashboard (run \`make demo\` from a terminal to keep it up)."
  echo "Demo done; stopping jig-gateway, jig-manager and jigsim."
fi
