#!/usr/bin/env bash
# End-to-end benchmark: smtp-source → the whole pipeline (Ingress → Queue → Delivery) → smtp-sink, and in the
# same run Postfix relaying the same load to the same sink. Reports both rates, the ratio, and the median time
# from a message's 250 to its arrival at the sink. See bench/README.md ("End-to-end: bench/pipeline.sh").
# Usage: bench/pipeline.sh            (COUNT=2000 REPEAT=3 WORKERS=1 SESSIONS=20 SIZE=10240 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

COUNT=${COUNT:-2000}          # messages per run from smtp-source
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-10240}
REPEAT=${REPEAT:-3}           # runs per MTA, alternating ours / Postfix; the table shows the median
WORKERS=${WORKERS:-1}         # Delivery workers (each Delivery:MaxConcurrentDeliveries = 20, the default)
PROFILE=${PROFILE:-0}         # 1: CPU profile of each of our services during our first measured run (dotnet-trace, 5 s)
OURS_PORT=${OURS_PORT:-13525} OURS_HTTP=${OURS_HTTP:-13580} QUEUE_HTTP=${QUEUE_HTTP:-13581} DELIVERY_HTTP=${DELIVERY_HTTP:-13582}
PF_PORT=${PF_PORT:-23525} SINK_PORT=${SINK_PORT:-23526}
VHOST=emailpipeline-bench-e2e
OUT=$ROOT/bench/.out/pipeline
DUMP=$OUT/dump
# A run writes only under the ignored bench/.out/; a result worth keeping is copied to bench/results/ deliberately.
RES=$ROOT/bench/.out/results
mkdir -p "$OUT" "$RES"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- prerequisites
for tool in dotnet rabbitmqctl python3 smtp-source smtp-sink postfix curl; do command -v $tool >/dev/null || die "$tool is missing (bench/run.sh installs Postfix)"; done
rabbitmqctl -q status >/dev/null 2>&1 || die "RabbitMQ is not running"
pgrep -x master >/dev/null && die "a Postfix master is already running (another bench?); stop it first"
for p in $OURS_PORT $OURS_HTTP $QUEUE_HTTP $PF_PORT $SINK_PORT $(seq $DELIVERY_HTTP $((DELIVERY_HTTP + WORKERS - 1))); do
  [ -z "$(ss -Hltn "sport = :$p")" ] || die "port $p is in use; set OURS_PORT/OURS_HTTP/QUEUE_HTTP/DELIVERY_HTTP/PF_PORT/SINK_PORT"
done

# ---------------------------------------------------------------- clean-up of everything we start
PIDS=() SINK_PID= POSTFIX_STARTED=0
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ $POSTFIX_STARTED = 1 ]; then postfix stop >/dev/null 2>&1; postsuper -d ALL >/dev/null 2>&1; fi
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  [ -f "$OUT/master.cf.orig" ] && cp "$OUT/master.cf.orig" /etc/postfix/master.cf
  if [ -f "$OUT/main.cf.orig" ]; then cp "$OUT/main.cf.orig" /etc/postfix/main.cf; else rm -f /etc/postfix/main.cf; fi
  rm -f "$OUT/master.cf.orig" "$OUT/main.cf.orig"
  rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1
  log "cleaned up"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build and start the pipeline
log "building Ingress, Queue, Delivery and the CLI (Release)"
for part in Ingress Queue Delivery; do
  dotnet build "services/$part" -c Release -nologo -v q >"$OUT/build-$part.log" 2>&1 || { tail -n 30 "$OUT/build-$part.log"; die "build of $part failed"; }
done
dotnet build tools/Cli -c Release -nologo -v q >"$OUT/build-cli.log" 2>&1 || die "build of the CLI failed"

rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost "$VHOST" >/dev/null
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*' >/dev/null
rm -rf "$OUT/data" && mkdir -p "$OUT/data"

declare -A SERVICE_PID=()
start_service() {  # part, log name, health url, then KEY=VALUE settings
  local part=$1 name=$2 url=$3; shift 3
  mkdir -p "$OUT/cwd-$name"
  (
    cd "$OUT/cwd-$name"   # no appsettings.json here: only the environment configures the service
    export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/$VHOST" EMAILPIPELINE_DATA="$OUT/data" \
      DOTNET_ENVIRONMENT=Production Logging__LogLevel__Default=Warning "$@"
    exec dotnet "$ROOT/services/$part/bin/Release/net10.0/EmailPipeline.$part.dll"
  ) >"$OUT/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  SERVICE_PID[$name]=$pid
  for _ in $(seq 1 90); do
    curl -sf "$url" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$OUT/$name.log"; die "$name exited"; }
    sleep 1
  done
  die "$name is not ready after 90 s"
}
log "starting Queue, $WORKERS Delivery worker(s), Ingress (vhost $VHOST)"
start_service Queue queue "http://127.0.0.1:$QUEUE_HTTP/health/ready" \
  Queue__HostName=mx.bench.test Queue__HttpUrl=http://127.0.0.1:$QUEUE_HTTP Queue__Store__SqlitePath="$OUT/data/queue.db"
for i in $(seq 0 $((WORKERS - 1))); do
  start_service Delivery "delivery$i" "http://127.0.0.1:$((DELIVERY_HTTP + i))/health/ready" \
    Delivery__HeloName=mx.bench.test Delivery__HttpUrl=http://127.0.0.1:$((DELIVERY_HTTP + i)) \
    Delivery__Transports__0__Match=sink.test Delivery__Transports__0__Kind=Smtp \
    Delivery__Transports__0__Host=127.0.0.1 Delivery__Transports__0__Port=$SINK_PORT \
    Delivery__JournalPath="$OUT/data/delivery$i.journal"
done
start_service Ingress ingress "http://127.0.0.1:$OURS_HTTP/health/ready" \
  Ingress__HostName=mx.bench.test Ingress__HttpUrl=http://127.0.0.1:$OURS_HTTP Ingress__RelayDomains__0=sink.test \
  Ingress__Listeners__0__Name=mx Ingress__Listeners__0__Role=Mx Ingress__Listeners__0__Address=127.0.0.1 \
  Ingress__Listeners__0__Port=$OURS_PORT Ingress__Limits__MaxSessionsPerClient=1000

# ---------------------------------------------------------------- the sink and the Postfix peer (as bench/run.sh)
log "configuring Postfix from /work/shared/reference/postfix/main.cf (smtpd 127.0.0.1:$PF_PORT -> smtp-sink :$SINK_PORT)"
cp /etc/postfix/master.cf "$OUT/master.cf.orig"
[ -f /etc/postfix/main.cf ] && cp /etc/postfix/main.cf "$OUT/main.cf.orig"
cp /work/shared/reference/postfix/main.cf /etc/postfix/main.cf
postconf -e "relayhost = [127.0.0.1]:$SINK_PORT"
sed -i -E "s/^smtp +inet +.*smtpd\$/127.0.0.1:$PF_PORT inet n - n - - smtpd/" /etc/postfix/master.cf
grep -q "^127.0.0.1:$PF_PORT inet" /etc/postfix/master.cf || die "could not set the smtpd line in master.cf"
postconf -F '*/*/chroot=n'
postsuper -d ALL >/dev/null 2>&1 || true
rm -rf "$DUMP" && mkdir -p "$DUMP" && chmod 777 "$DUMP"
# -d: one dump file per message (arrival time = its mtime); both MTAs pay the same for it.
smtp-sink -c -u postfix -m 1000 -d "$DUMP/%H%M%S." "127.0.0.1:$SINK_PORT" 1000 >"$OUT/smtp-sink.log" 2>&1 &
SINK_PID=$!
postfix check && postfix start >/dev/null 2>&1 || die "postfix start failed"
POSTFIX_STARTED=1
for _ in $(seq 1 20); do [ -n "$(ss -Hltn "sport = :$PF_PORT")" ] && [ -n "$(ss -Hltn "sport = :$SINK_PORT")" ] && break; sleep 0.5; done

# ---------------------------------------------------------------- one run
at_sink() { find "$DUMP" -type f | wc -l; }
clear_sink() { find "$DUMP" -type f -delete; }
pf_empty() { [ -z "$(postqueue -j 2>/dev/null | head -n 1)" ]; }
ours_open() {  # messages with a recipient not yet final, by the operator CLI
  dotnet "$ROOT/tools/Cli/bin/Release/net10.0/emailpipeline.dll" queue list --json --store "sqlite:$OUT/data/queue.db" \
    --rabbitmq "amqp://guest:guest@127.0.0.1:5672/$VHOST" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get("messages", [])))'
}
# run <label> <port> <count>: prints "ingress_s e2e_s arrived probes found median p90 max"
run() {
  local label=$1 port=$2 m=$3 stop="$OUT/probe.stop" probes="$OUT/probes-$1.tsv" t0 t1 t2 n want
  clear_sink; rm -f "$stop"
  t0=$(now)
  timeout 600 smtp-source -d -s "$SESSIONS" -m "$m" -l "$SIZE" -M test.example -f sender@test.example -t rcpt@sink.test \
    "127.0.0.1:$port" 2>"$OUT/smtp-source-$label.err" &
  local src=$!
  python3 bench/probe.py send "$port" "$probes" "$stop" 0.02 200 2>"$OUT/probe-$label.err" &
  local prb=$!
  wait $src || { cat "$OUT/smtp-source-$label.err" >&2; die "$label: smtp-source failed"; }
  t1=$(now)
  [ -s "$OUT/smtp-source-$label.err" ] && { head -n 5 "$OUT/smtp-source-$label.err" >&2; die "$label: smtp-source saw errors"; }
  touch "$stop"; wait $prb || { cat "$OUT/probe-$label.err" >&2; die "$label: probes failed"; }
  want=$((m + $(wc -l <"$probes")))
  for _ in $(seq 1 6000); do   # at most 600 s
    n=$(at_sink); [ "$n" -ge "$want" ] && break
    sleep 0.1
  done
  t2=$(now)
  [ "$n" -ge "$want" ] || die "$label: only $n of $want messages reached the sink in 600 s"
  local lat
  lat=$(python3 bench/probe.py latency "$probes" "$DUMP")
  echo "$t0 $t1 $t2 $n $want $lat" | awk '{ printf "%.3f %.3f %d %d %s %s %s %s %s\n", $2-$1, $3-$1, $4, $5, $6, $7, $8, $9, $10 }'
}

# ---------------------------------------------------------------- warm-up, then alternate ours / Postfix
log "warm-up: 400 messages through each"
run warm-ours $OURS_PORT 400 >/dev/null
run warm-postfix $PF_PORT 400 >/dev/null
for _ in $(seq 1 60); do pf_empty && [ "$(ours_open)" = 0 ] && break; sleep 1; done

# Idle latency: 50 probes, one every 50 ms, no other load (the hops' own latency, not a backlog's).
idle() {  # idle <label> <port>
  local probes="$OUT/idle-$1.tsv"
  clear_sink; touch "$OUT/probe.stop"
  python3 bench/probe.py send "$2" "$probes" "$OUT/probe.stop" 0.05 50 50 || die "$1: idle probes failed"
  for _ in $(seq 1 300); do [ "$(at_sink)" -ge "$(wc -l <"$probes")" ] && break; sleep 0.1; done
  python3 bench/probe.py latency "$probes" "$DUMP"
}
IDLE_OURS=$(idle ours $OURS_PORT); log "idle latency, ours: $IDLE_OURS"
IDLE_PF=$(idle postfix $PF_PORT); log "idle latency, Postfix: $IDLE_PF"

# A 5-second sample of every thread's stack in each service (~100 Hz), started with the run, 1 s in (after the
# first sessions opened); "dotnet-trace report <file> topN" lists where time went. Written to bench/.out/results/.
TRACES=()
profile_services() {
  command -v dotnet-trace >/dev/null || PATH="$PATH:$HOME/.dotnet/tools"
  command -v dotnet-trace >/dev/null || die "PROFILE=1 needs dotnet-trace (dotnet tool install -g dotnet-trace)"
  for name in "${!SERVICE_PID[@]}"; do
    (sleep 1; dotnet-trace collect -p "${SERVICE_PID[$name]}" --profile dotnet-sampled-thread-time --duration 00:00:00:05 \
      -o "$RES/profile-$name.nettrace" >"$OUT/trace-$name.log" 2>&1) &
    TRACES+=($!)
  done
}

# Where the CPU went during a run: the machine's busy share (/proc/stat) and, per process of ours and the broker,
# CPU seconds over the run's wall time (/proc/<pid>/stat utime+stime), as % of one core.
cpu_snapshot() {
  local beam; beam=$(pgrep -f 'beam.smp.*rabbit' | head -n 1)
  printf 'wall %s\n' "$(now)"
  awk '/^cpu /{ printf "machine %d %d\n", $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat
  for name in "${!SERVICE_PID[@]}" rabbitmq; do
    local pid=${SERVICE_PID[$name]:-$beam}
    [ -r "/proc/$pid/stat" ] && awk -v n="$name" '{ sub(/^.*\) /, ""); printf "%s %d\n", n, $12+$13 }' "/proc/$pid/stat"
  done
}
cpu_share() {  # label, before, after
  python3 - "$@" <<'PY'
import sys, os
label, a, b = sys.argv[1], dict(l.split(None, 1) for l in sys.argv[2].splitlines()), dict(l.split(None, 1) for l in sys.argv[3].splitlines())
hz = os.sysconf("SC_CLK_TCK")
wall = float(b["wall"]) - float(a["wall"])
(busy0, idle0), (busy1, idle1) = (map(int, a["machine"].split()), map(int, b["machine"].split()))
busy, idle = busy1 - busy0, idle1 - idle0
parts = [f"machine busy {100 * busy / max(1, busy + idle):.0f} %"]
for k in sorted(k for k in b if k not in ("wall", "machine") and k in a):
    parts.append(f"{k} {100 * (int(b[k]) - int(a[k])) / hz / wall:.0f} %")
print(f"{label}: " + ", ".join(parts) + " (of one core)")
PY
}
: >"$OUT/cpu.txt"

ROWS="$OUT/rows.txt"; : >"$ROWS"
printf '%-4s %-8s %10s %10s %8s %9s  %s\n' run mta ingress/s e2e/s arrived/sent latency >&2
for r in $(seq 1 "$REPEAT"); do
  for mta in ours postfix; do
    port=$OURS_PORT; [ $mta = postfix ] && port=$PF_PORT
    if [ "$PROFILE" = 1 ] && [ "$r" = 1 ] && [ $mta = ours ]; then profile_services; fi
    cpu_before=$(cpu_snapshot)
    line=$(run "$mta-$r" "$port" "$COUNT")
    cpu_share "$mta-$r" "$cpu_before" "$(cpu_snapshot)" >>"$OUT/cpu.txt"
    [ "$PROFILE" = 1 ] && [ "$r" = 1 ] && [ $mta = ours ] && wait "${TRACES[@]}" 2>/dev/null
    echo "$r $mta $line" >>"$ROWS"
    echo "$r $mta $line" | awk -v m="$COUNT" '{ split($9,a,"="); printf "%-4s %-8s %10.0f %10.0f %8s %9s  %s %s %s %s\n", $1, $2, m/$3, $6/$4, $5"/"$6, a[2]" ms", $7, $8, $9, $10 }' >&2
    # Both must have finished before the next run: Postfix's queue empty, ours: no open message in the store.
    for _ in $(seq 1 120); do pf_empty && [ "$(ours_open)" = 0 ] && break; sleep 1; done
  done
done
open_left=$(ours_open)
# Does Delivery reuse its SMTP sessions to the sink? Sessions opened vs transactions sent over a pooled one.
reuse=$(for i in $(seq 0 $((WORKERS - 1))); do curl -sf "http://127.0.0.1:$((DELIVERY_HTTP + i))/metrics"; done | awk '
  /^emailpipeline_delivery_connections_total/ { opened += $NF }
  /^emailpipeline_delivery_connections_reused_total/ { reused += $NF }
  END { printf "%d SMTP sessions opened, %d transactions over a reused session", opened, reused }')

# ---------------------------------------------------------------- report
{
  echo "# End-to-end benchmark (bench/pipeline.sh)"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD). $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), .NET $(dotnet --version), RabbitMQ $(rabbitmqctl -q version 2>/dev/null), Postfix $(postconf -h mail_version)."
  echo "Load: \`smtp-source -d -s $SESSIONS -m $COUNT -l $SIZE\` per run, plus latency probes on one extra session every 20 ms while it runs; $WORKERS Delivery worker(s)."
  echo
  python3 - "$ROWS" "$COUNT" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
m = int(sys.argv[2])
by = {"ours": [], "postfix": []}
for f in rows:
    r, mta, ing, e2e, arrived, want = f[0], f[1], float(f[2]), float(f[3]), int(f[4]), int(f[5])
    med = f[8].split("=")[1]
    by[mta].append((m / ing, want / e2e, float(med) if med != "-" else float("nan"), arrived - want, f[6].split("=")[1], f[6:]))
print("| MTA | ingress msg/s (smtp-source done) | end-to-end msg/s (all at the sink) | median 250→sink ms | p90 ms | duplicates at sink |")
print("|---|---:|---:|---:|---:|---:|")
med = {}
for mta, v in by.items():
    a = [x[0] for x in v]; b = [x[1] for x in v]; c = [x[2] for x in v]
    p90 = [float(x[5][3].split("=")[1]) for x in v if x[5][3].split("=")[1] != "-"]
    med[mta] = statistics.median(b)
    rng = lambda q: f" [{min(q):.0f}–{max(q):.0f}]" if len(q) > 1 else ""
    print(f"| {mta} | {statistics.median(a):.0f}{rng(a)} | **{statistics.median(b):.0f}**{rng(b)} | {statistics.median(c):.0f}{rng(c)} | {statistics.median(p90):.0f} | {sum(x[3] for x in v)} |")
print()
print(f"Ratio ours/Postfix, end-to-end (medians): **{med['ours'] / med['postfix']:.2f}**")
print()
print("Every run: " + "; ".join(f"{f[1]}#{f[0]}: ingress {m/float(f[2]):.0f}/s, e2e {int(f[5])/float(f[3]):.0f}/s, {' '.join(f[6:])}" for f in rows))
PY
  echo
  echo "Idle latency (50 probes, one every 50 ms, nothing else running), 250→sink: ours \`$IDLE_OURS\`; Postfix \`$IDLE_PF\`."
  echo
  echo "CPU during each measured run (machine busy share; per process, % of one core over the run's wall time):"
  echo
  sed 's/^/- /' "$OUT/cpu.txt"
  echo
  echo "Delivery, whole bench (warm-up, idle probes and all runs): $reuse."
  echo
  echo "Messages still open in our store at the end (queue list): $open_left."
} >"$RES/pipeline-latest.md"
cat "$RES/pipeline-latest.md"
[ "$open_left" = 0 ] || die "$open_left message(s) not final in our store"
