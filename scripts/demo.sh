#!/usr/bin/env bash
# The demo: a simulated fixture (jigsim), its jig-manager, and jigctl asking
# it things. Expects `make build` and a broker on AMQP_URL (`make demo` does
# both). Stops everything it started, whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
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

bin/jigsim --link "$dir/SIM-0001" >"$dir/jigsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -e $dir/SIM-0001 ]] && break; sleep 0.1; done

bin/jig-manager --config configs/jig-manager.demo.yaml >"$dir/manager.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  bin/jigctl ping SIM-0001 --timeout 200ms >/dev/null 2>&1 && break
  sleep 0.1
done

echo "jigsim and jig-manager are running (logs in $dir)."
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
echo
echo "Demo done; stopping jig-manager and jigsim."
