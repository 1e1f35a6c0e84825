#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's postgresql (installed if missing), run as the
# postgres user, on port $PGPORT (default 15432), data under /tmp, no passwords (initdb -A trust), socket in /tmp.
# Usage: scripts/postgres.sh start|stop|status
# Prints nothing on success; the tests connect with Host=127.0.0.1;Port=$PGPORT;Username=postgres.
set -euo pipefail

cmd=${1:-start}
port=${PGPORT:-15432}
data=${PGDATA_DIR:-/tmp/emailpipeline-pg-$port}
log="$data.log"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case "$cmd" in
  start)
    if [ -z "$(bindir)" ]; then
      echo "postgres: installing Debian's postgresql" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(bindir)
    if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then exit 0; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"; mkdir -p "$data"; chown postgres:postgres "$data"
      as_postgres "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    touch "$log"; chown postgres:postgres "$log"
    # fsync stays on: the store's durability tests mean nothing on a cluster that lies about it.
    as_postgres "$bin/pg_ctl" -D "$data" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -l "$log" -w -t 60 start >/dev/null
    ;;
  stop)
    bin=$(bindir)
    [ -n "$bin" ] && as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  status)
    bin=$(bindir)
    [ -n "$bin" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2
    ;;
esac
