#!/usr/bin/env bash
# Starts the local RabbitMQ node if it is not running, and waits until it answers.
# Usage: scripts/rabbitmq.sh start|stop|status
set -euo pipefail

cmd=${1:-start}
running() { rabbitmqctl -q status >/dev/null 2>&1; }
# Queue depths per queue (error queues included) for the dashboards and alerts come from RabbitMQ's own
# Prometheus endpoint (:15692). Enabling a plugin on a running node does not restart it; idempotent.
prometheus_plugin() {
  rabbitmq-plugins -q is_enabled rabbitmq_prometheus >/dev/null 2>&1 \
    || rabbitmq-plugins -q enable rabbitmq_prometheus >/dev/null 2>&1 \
    || echo "rabbitmq: could not enable rabbitmq_prometheus (queue-depth metrics unavailable)" >&2
}

case "$cmd" in
  start)
    if running; then prometheus_plugin; exit 0; fi
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
    prometheus_plugin
    ;;
  stop)
    running && rabbitmqctl -q stop >/dev/null 2>&1 || true
    ;;
  status)
    running
    ;;
esac
