#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on AMQP_URL's host and port (default
# 127.0.0.1:5672): leave a running one alone, start an installed one that is
# down, install rabbitmq-server (Debian) if there is none, then wait for it.
set -euo pipefail

url=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
hostport=${url#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
host=${hostport%%:*}
port=${hostport##*:}
[[ $port == "$hostport" ]] && port=5672

answers() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if answers; then
  echo "rabbitmq: answering on $host:$port" >&2
  exit 0
fi
case $host in
  127.*|localhost) ;;
  *) echo "rabbitmq: nothing answers on $host:$port, and it is not this machine" >&2; exit 1 ;;
esac

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

if ! command -v rabbitmq-server >/dev/null 2>&1 && [[ ! -x /usr/sbin/rabbitmq-server ]]; then
  echo "rabbitmq: not installed; installing rabbitmq-server" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi
export PATH=$PATH:/usr/sbin

if ! answers; then
  echo "rabbitmq: starting" >&2
  if [[ -d /run/systemd/system ]]; then
    "${sudo[@]}" systemctl start rabbitmq-server || "${sudo[@]}" rabbitmq-server -detached
  else
    "${sudo[@]}" rabbitmq-server -detached
  fi
fi
"${sudo[@]}" timeout 120 rabbitmqctl await_startup >/dev/null
for _ in $(seq 1 100); do
  answers && { echo "rabbitmq: up on $host:$port" >&2; exit 0; }
  sleep 0.2
done
echo "rabbitmq: started but nothing answers on $host:$port" >&2
exit 1
