#!/usr/bin/env bash
# Starts the local RabbitMQ node if it is not running, and waits until it answers.
# Usage: scripts/rabbitmq.sh start|stop|status
set -euo pipefail

cmd=${1:-start}
running() { rabbitmqctl -q status >/dev/null 2>&1; }

case "$cmd" in
  start)
    if running; then exit 0; fi
    echo "rabbitmq: starting the local node" >&2
    mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq 2>/dev/null || true
    rabbitmq-server -detached >/dev/null 2>&1 || true
    # await_startup gives up at once while the node is not even registered yet: first wait until it answers.
    for _ in $(seq 1 120); do
      running && break
      rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1 && break
      sleep 1
    done
    rabbitmqctl -q await_startup --timeout 120 >/dev/null
    ;;
  stop)
    running && rabbitmqctl -q stop >/dev/null 2>&1 || true
    ;;
  status)
    running
    ;;
esac
