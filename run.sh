#!/usr/bin/env bash
# Runs the EmailPipeline on this machine: RabbitMQ (installed and started if missing, unless
# RABBITMQ_URL points at one), then every service under services/ as its own process on loopback.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

started_rabbit=no
pids=()
cleanup() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo; echo "run.sh: stopping services..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ "$started_rabbit" = yes ]; then
    echo "run.sh: stopping RabbitMQ (started by run.sh)"
    scripts/rabbitmq.sh stop || true
  fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

scripts/setup-machine.sh
if [ -z "${RABBITMQ_URL:-}" ]; then
  if ! scripts/rabbitmq.sh status; then
    scripts/rabbitmq.sh start
    started_rabbit=yes
  fi
  export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/"
fi

echo "run.sh: building (Release)..."
dotnet build EmailPipeline.sln -c Release -nologo -v q >/tmp/emailpipeline-run-build.log 2>&1 \
  || { grep -E 'error' /tmp/emailpipeline-run-build.log | sort -u | head -n 20; exit 1; }

# Policy checks (SPF, DKIM, DMARC, ARC, DNS lists) need the DNS: on a machine that cannot resolve names every
# MX message would get 451 4.7.0 (temperror), so they are on only when the resolver answers, unless
# EMAILPIPELINE_POLICY=on|off decides. The Policy service runs either way.
policy=${EMAILPIPELINE_POLICY:-}
if [ -z "$policy" ]; then
  if timeout 5 getent ahosts example.org >/dev/null 2>&1; then policy=on; else policy=off; fi
fi
case "$policy" in
  on) export Ingress__Policy__Mode=On ;;
  *) export Ingress__Policy__Mode=Off
     echo "run.sh: policy checks off (no working DNS resolver here, or EMAILPIPELINE_POLICY=off)" ;;
esac

mkdir -p data/logs
export EMAILPIPELINE_DATA="$root/data"
for project in services/*/EmailPipeline.*.csproj; do
  dir=$(dirname "$project"); name=$(basename "$project" .csproj)
  out="$dir/bin/Release/net10.0"
  log="data/logs/${name#EmailPipeline.}.log"
  echo "run.sh: starting ${name#EmailPipeline.} (log: $log)"
  # The local domains go to Maildir under data/ here; the image ships no Maildir transport (mail written to a pod's
  # emptyDir would vanish with the pod), so this is run.sh's choice, not a default.
  if [ "$name" = EmailPipeline.Delivery ]; then
    ( cd "$out" && Delivery__Transports__0__Match=localhost Delivery__Transports__0__Kind=Maildir \
        Delivery__Transports__1__Match=example.test Delivery__Transports__1__Kind=Maildir exec dotnet "$name.dll" ) >"$log" 2>&1 &
  else
    ( cd "$out" && exec dotnet "$name.dll" ) >"$log" 2>&1 &
  fi
  pids+=($!)
done

# Wait until every service is ready (broker connected, its queues declared).
for svc in Ingress:8025 Queue:8027 Delivery:8026 Policy:8028; do
  name=${svc%%:*}; port=${svc##*:}
  for _ in $(seq 1 90); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 1
  done
  if ! curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then
    echo "run.sh: $name did not become ready; see data/logs/$name.log"; tail -n 20 "data/logs/$name.log"; exit 1
  fi
done

cat <<'MSG'

EmailPipeline is running.
  SMTP (MX, no AUTH)            127.0.0.1:2525   accepts mail for localhost and example.test
  Submission (STARTTLS + AUTH)  127.0.0.1:2587
  Submissions (implicit TLS)    127.0.0.1:2465
  Health                        http://127.0.0.1:8025/health/ready   metrics: /metrics
  Policy checks                 EMAILPIPELINE_POLICY=on|off (default: on when DNS resolves)

Send a first message:
  swaks --server 127.0.0.1:2525 --from you@example.org --to postmaster@example.test

It is delivered to Maildir (local domains: localhost, example.test):
  ls data/maildir/example.test/postmaster/new/
See the queue:
  dotnet tools/Cli/bin/Release/net10.0/emailpipeline.dll queue list --all

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "run.sh: a service exited; see data/logs/"
exit 1
