#!/usr/bin/env bash
# Throughput and idle-memory benchmark: our SMTP ingress vs. a durable Postfix, same load, same machine,
# same run. See bench/README.md. Usage: bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

OURS_PORT=${OURS_PORT:-12525}     # our SMTP listener
OURS_HTTP=${OURS_HTTP:-12580}     # our /health and /metrics
PF_PORT=${PF_PORT:-22525}         # Postfix smtpd
SINK_PORT=${SINK_PORT:-22526}     # smtp-sink, where Postfix relays to
VHOST=emailpipeline-bench
QUEUE=queue-message-accepted
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
IDLE_HOLD=${IDLE_HOLD:-20}
REPEAT=${REPEAT:-$([ $QUICK = 1 ] && echo 1 || echo 3)}              # runs per cell (ours, then Postfix, alternating); the table shows the median
OUT=$ROOT/bench/.out
# A run writes only under the ignored bench/.out/; a result worth keeping is copied to bench/results/ deliberately.
RES=$ROOT/bench/.out/results
mkdir -p "$OUT" "$RES"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SIZES=(1024 10240 102400)
SESSIONS=(1 20 100)
# messages per run, by "sessions:size"; chosen so a run lasts a few seconds on 2 cores
count_for() {
  local s=$1 l=$2
  if [ $QUICK = 1 ]; then
    [ "$s" = 1 ] && echo 100 || echo 400
    return
  fi
  case "$s:$l" in
    1:1024) echo 2000 ;;  1:10240) echo 2000 ;;  1:102400) echo 1000 ;;
    *:1024) echo 10000 ;; *:10240) echo 10000 ;; *:102400) echo 3000 ;;
  esac
}

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null; then
  log "installing postfix (smtp-source, smtp-sink)"
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
for tool in dotnet rabbitmqctl python3 curl; do command -v $tool >/dev/null || die "$tool is missing"; done
rabbitmqctl -q status >/dev/null 2>&1 || die "RabbitMQ is not running (rabbitmqctl status failed)"
for p in $OURS_PORT $OURS_HTTP $PF_PORT $SINK_PORT; do
  [ -z "$(ss -Hltn "sport = :$p")" ] || die "port $p is in use; set OURS_PORT/OURS_HTTP/PF_PORT/SINK_PORT"
done
# 10,000 idle sessions: the client and the ingress each need one descriptor per session (plus some)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((IDLE_SESSIONS + 500)) ] || die "open-file limit $(ulimit -n) is too low for $IDLE_SESSIONS sessions"

# ---------------------------------------------------------------- clean-up of everything we start
INGRESS_PID= SINK_PID= POSTFIX_STARTED=0
cleanup() {
  set +e
  [ -n "$INGRESS_PID" ] && kill "$INGRESS_PID" 2>/dev/null && wait "$INGRESS_PID" 2>/dev/null
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

# ---------------------------------------------------------------- build and start our ingress
log "building the ingress (Release)"
dotnet publish services/Ingress -c Release -o "$OUT/ingress" -nologo -v q >"$OUT/build.log" 2>&1 \
  || { tail -n 30 "$OUT/build.log"; die "build failed"; }

rabbitmqctl -q delete_vhost "$VHOST" >/dev/null 2>&1 || true
rabbitmqctl -q add_vhost "$VHOST" >/dev/null
rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*' >/dev/null

log "starting the ingress on 127.0.0.1:$OURS_PORT (vhost $VHOST)"
(
  cd "$OUT/ingress"
  export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/$VHOST" \
    Ingress__Listeners__0__Name=mx Ingress__Listeners__0__Role=Mx \
    Ingress__Listeners__0__Address=127.0.0.1 Ingress__Listeners__0__Port=$OURS_PORT \
    Ingress__HttpUrl=http://127.0.0.1:$OURS_HTTP Ingress__LocalDomains__0=sink.test \
    Ingress__Limits__MaxSessionsPerClient=20000 Ingress__Limits__MaxSessions=20000 \
    Logging__LogLevel__Default=Warning
  exec dotnet EmailPipeline.Ingress.dll
) >"$OUT/ingress.log" 2>&1 &
INGRESS_PID=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$OURS_HTTP/health/ready" >/dev/null 2>&1 && break
  kill -0 "$INGRESS_PID" 2>/dev/null || { tail -n 30 "$OUT/ingress.log"; die "the ingress exited"; }
  sleep 1
done
curl -sf "http://127.0.0.1:$OURS_HTTP/health/ready" >/dev/null || die "the ingress is not ready after 60 s"

# ---------------------------------------------------------------- configure and start the Postfix peer
log "configuring Postfix from /work/shared/reference/postfix/main.cf (smtpd 127.0.0.1:$PF_PORT -> smtp-sink :$SINK_PORT)"
cp /etc/postfix/master.cf "$OUT/master.cf.orig"
[ -f /etc/postfix/main.cf ] && cp /etc/postfix/main.cf "$OUT/main.cf.orig"
cp /work/shared/reference/postfix/main.cf /etc/postfix/main.cf
postconf -e "relayhost = [127.0.0.1]:$SINK_PORT"
sed -i -E "s/^smtp +inet +.*smtpd\$/127.0.0.1:$PF_PORT inet n - n - - smtpd/" /etc/postfix/master.cf
grep -q "^127.0.0.1:$PF_PORT inet" /etc/postfix/master.cf || die "could not set the smtpd line in master.cf"
postconf -F '*/*/chroot=n'
postfix stop >/dev/null 2>&1 || true
postsuper -d ALL >/dev/null 2>&1 || true
smtp-sink -u postfix -m 1000 "127.0.0.1:$SINK_PORT" 1000 >"$OUT/smtp-sink.log" 2>&1 &
SINK_PID=$!
postfix check && postfix start >/dev/null 2>&1 || die "postfix start failed"
POSTFIX_STARTED=1
PFLOG=$(postconf -h maillog_file)
for _ in $(seq 1 20); do [ -n "$(ss -Hltn "sport = :$PF_PORT")" ] && break; sleep 0.5; done

# ---------------------------------------------------------------- helpers
queue_messages() {  # messages in our queue (quorum queue counts may lag a second)
  rabbitmqctl -q list_queues -p "$VHOST" name messages --no-table-headers 2>/dev/null | awk -v q=$QUEUE '$1==q {print $2}'
}
wait_queue_count() {  # wait until our queue reports exactly $1 messages (at most 30 s); echo the last count
  # The count behind list_queues is a statistic refreshed every few seconds, so it may still show the
  # previous run's messages (or a partial count) for a while: wait for the exact value, then give up.
  local want=$1 have=0
  for _ in $(seq 1 30); do
    have=$(queue_messages); have=${have:-0}
    [ "$have" = "$want" ] && break
    sleep 1
  done
  echo "$have"
}
purge() {  # empty our queue (nothing consumes it) and wait until the count says so
  rabbitmqctl -q purge_queue -p "$VHOST" $QUEUE >/dev/null 2>&1 || true
  [ "$(wait_queue_count 0)" = 0 ] || log "warning: $QUEUE does not report 0 messages after purging"
}
pf_sent() { if [ -f "$PFLOG" ]; then grep -c 'status=sent' "$PFLOG" || true; else echo 0; fi; }
wait_pf_drained() {  # wait until Postfix's queue is empty (at most 300 s)
  for _ in $(seq 1 300); do
    [ -z "$(postqueue -j 2>/dev/null | head -n 1)" ] && return 0
    sleep 1
  done
  return 1
}
cpu_ticks() {  # utime+stime of a process in clock ticks
  awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
metric() {  # sum of a Prometheus metric's samples from our /metrics
  curl -sf "http://127.0.0.1:$OURS_HTTP/metrics" | awk -v m="$1" '$1==m || index($1, m"{")==1 {s+=$NF} END {printf "%.6f\n", s+0}'
}
BEAM_PID=$(pgrep -o -x beam.smp || true)
HZ=$(getconf CLK_TCK)

# smtp-source against 127.0.0.1:$1 with $2 sessions, $3 messages of $4 bytes; echoes seconds; fails on errors
drive() {
  local port=$1 s=$2 m=$3 l=$4 err="$OUT/smtp-source.err" t0 t1
  t0=$(date +%s.%N)
  timeout 600 smtp-source -d -s "$s" -m "$m" -l "$l" -M test.example \
    -f sender@test.example -t rcpt@sink.test "127.0.0.1:$port" 2>"$err" || { cat "$err" >&2; return 1; }
  t1=$(date +%s.%N)
  if [ -s "$err" ]; then log "smtp-source said:"; head -n 5 "$err" >&2; return 1; fi
  echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}'
}

# ---------------------------------------------------------------- idle sessions (fresh process, before any load)
log "idle sessions: $IDLE_SESSIONS on the ingress, held ${IDLE_HOLD} s"
sleep 2
IDLE_OURS=$(python3 bench/idle.py 127.0.0.1 "$OURS_PORT" "$IDLE_SESSIONS" "$IDLE_HOLD" "$INGRESS_PID")
log "ours: $IDLE_OURS"
sleep 3   # let the ingress see the disconnects

# ---------------------------------------------------------------- warm-up (JIT, connections, process pools)
log "warm-up"
drive $OURS_PORT 20 400 10240 >/dev/null || die "warm-up against the ingress failed"
drive $PF_PORT 20 400 10240 >/dev/null || die "warm-up against Postfix failed"
[ "$(wait_queue_count 400)" = 400 ] || die "warm-up: the queue does not hold the 400 messages sent"
purge
wait_pf_drained || die "Postfix did not drain its queue"

# ---------------------------------------------------------------- throughput
ROWS="$OUT/rows.txt"; : >"$ROWS"
LOST=0
printf '%-8s %-7s %-7s %-4s %10s %10s %7s  %s\n' sessions size count run ours/s postfix/s ratio notes >&2
for s in "${SESSIONS[@]}"; do
  for l in "${SIZES[@]}"; do
   m=$(count_for "$s" "$l")
   for r in $(seq 1 "$REPEAT"); do
    # ours
    purge
    curl -sf "http://127.0.0.1:$OURS_HTTP/metrics" >"$OUT/metrics-$s-$l-$r-before.txt" || true
    c0=$(metric emailpipeline_ingress_accept_duration_seconds_count); u0=$(metric emailpipeline_ingress_accept_duration_seconds_sum)
    d0=$(cpu_ticks "$INGRESS_PID"); b0=$(cpu_ticks "${BEAM_PID:-0}"); k0=$(busy_ticks)
    t_ours=$(drive $OURS_PORT "$s" "$m" "$l") || die "run against the ingress failed ($s sessions, $l bytes)"
    d1=$(cpu_ticks "$INGRESS_PID"); b1=$(cpu_ticks "${BEAM_PID:-0}"); k1=$(busy_ticks)
    got=$(wait_queue_count "$m")   # takes >= 1 s: the /metrics response (cached 300 ms) is fresh afterwards
    curl -sf "http://127.0.0.1:$OURS_HTTP/metrics" >"$OUT/metrics-$s-$l-$r-after.txt" || true
    c1=$(metric emailpipeline_ingress_accept_duration_seconds_count); u1=$(metric emailpipeline_ingress_accept_duration_seconds_sum)
    note=""
    if [ "$got" != "$m" ]; then note="LOST: queue holds $got of $m"; LOST=1; fi
    purge
    # Postfix
    wait_pf_drained || die "Postfix did not drain its queue"
    sent0=$(pf_sent); pk0=$(busy_ticks)
    t_pf=$(drive $PF_PORT "$s" "$m" "$l") || die "run against Postfix failed ($s sessions, $l bytes)"
    pk1=$(busy_ticks)
    wait_pf_drained || die "Postfix did not drain its queue"
    sent=$(( $(pf_sent) - sent0 ))
    [ "$sent" = "$m" ] || { note="$note Postfix delivered $sent of $m"; LOST=1; }
    echo "$s $l $m $r $t_ours $t_pf $((d1-d0)) $((b1-b0)) $((k1-k0)) $((pk1-pk0)) $(echo "$c1 $c0 $u1 $u0" | awk '{ if ($1>$2) printf "%.2f", ($3-$4)/($1-$2)*1000; else print "-" }') $note" >>"$ROWS"
    awk -v s=$s -v l=$l -v m=$m -v r=$r -v a=$t_ours -v b=$t_pf -v n="$note" \
      'BEGIN { printf "%-8s %-7s %-7s %-4s %10.0f %10.0f %7.2f  %s\n", s, l/1024 "KiB", m, r, m/a, m/b, (m/a)/(m/b), n }' >&2
   done
  done
done
purge

# ---------------------------------------------------------------- Postfix idle sessions (one smtpd process each)
IDLE_PF=""
if [ $QUICK = 0 ]; then
  log "idle sessions: $IDLE_SESSIONS on Postfix (smtpd process limit raised), held ${IDLE_HOLD} s"
  postconf -e "default_process_limit = $((IDLE_SESSIONS + 100))"
  postfix reload >/dev/null 2>&1; sleep 2
  IDLE_PF=$(python3 bench/idle.py 127.0.0.1 "$PF_PORT" "$IDLE_SESSIONS" "$IDLE_HOLD" smtpd) || IDLE_PF="failed"
  log "postfix: $IDLE_PF"
fi

# ---------------------------------------------------------------- report
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }
mib() { awk -v k="${1:-0}" 'BEGIN {printf "%.0f", k/1024}'; }
{
  echo "# Benchmark results"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $( [ $QUICK = 1 ] && echo 'QUICK (small counts; not for comparison)' || echo 'full')."
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), .NET $(dotnet --version), RabbitMQ $(rabbitmqctl -q version 2>/dev/null), $(postconf -h mail_version | sed 's/^/Postfix /')."
  echo
  echo "smtp-source -d (one connection per session, messages back to back), 1 recipient, confirms on (ours), fsync on (Postfix)."
  echo
  echo "Median of $REPEAT runs per cell (each run: ours, then Postfix); range in brackets."
  echo
  python3 - "$ROWS" <<'PY'
import sys, statistics
cells = {}
for line in open(sys.argv[1]):
    f = line.split()
    s, l, m, r, ta, tp = int(f[0]), int(f[1]), int(f[2]), f[3], float(f[4]), float(f[5])
    cells.setdefault((s, l), []).append((m / ta, m / tp, " ".join(f[11:])))
print("| sessions | size | ours msg/s | Postfix msg/s | ratio ours/Postfix | notes |")
print("|---:|---:|---:|---:|---:|---|")
for (s, l), runs in cells.items():
    o = [x[0] for x in runs]; p = [x[1] for x in runs]
    mo, mp = statistics.median(o), statistics.median(p)
    rng = lambda v: f" [{min(v):.0f}–{max(v):.0f}]" if len(v) > 1 else ""
    notes = "; ".join(x[2] for x in runs if x[2])
    print(f"| {s} | {l // 1024} KiB | {mo:.0f}{rng(o)} | {mp:.0f}{rng(p)} | **{mo / mp:.2f}** | {notes} |")
PY
  echo
  echo "### Every run"
  echo
  echo "| sessions | size | messages | run | ours msg/s | Postfix msg/s | ratio | ours: dotnet CPU % | ours: beam.smp CPU % | ours: machine busy % | Postfix: machine busy % | ours: mean end-of-DATA→250 ms | notes |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  while read -r s l m r ta tp dn bm ko kp lat note; do
    awk -v s=$s -v l=$l -v m=$m -v r=$r -v a=$ta -v b=$tp -v dn=$dn -v bm=$bm -v ko=$ko -v kp=$kp -v hz=$HZ -v lat="$lat" -v n="$note" -v cores=$(nproc) 'BEGIN {
      printf "| %d | %d KiB | %d | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f | %s | %s |\n", s, l/1024, m, r, m/a, m/b, (m/a)/(m/b),
        100*dn/hz/a, 100*bm/hz/a, 100*ko/hz/a/cores, 100*kp/hz/b/cores, lat, n }'
  done <"$ROWS"
  echo
  echo "CPU %: CPU time of the process during the run / wall time (100 % = one core). Machine busy %: all cores, 100 % = every core busy."
  echo
  echo "## Idle sessions ($IDLE_SESSIONS sessions, each read the 220 greeting and stayed silent for ${IDLE_HOLD} s)"
  echo
  echo "| server | sessions open | still open at the end | RSS before | RSS holding | RSS per session | PSS holding |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  o=$IDLE_OURS
  echo "| ours (1 process) | $(kv "$o" opened) | $(kv "$o" alive) | $(mib "$(kv "$o" rss_before_kib)") MiB | **$(mib "$(kv "$o" rss_holding_kib)") MiB** | $(awk -v a="$(kv "$o" rss_before_kib)" -v b="$(kv "$o" rss_holding_kib)" -v n="$(kv "$o" opened)" 'BEGIN{ if (n>0) printf "%.1f KiB", (b-a)/n }') | $(mib "$(kv "$o" pss_holding_kib)") MiB |"
  if [ -n "$IDLE_PF" ] && [ "$IDLE_PF" != failed ]; then
    p=$IDLE_PF
    echo "| Postfix ($(kv "$p" processes) smtpd processes, summed) | $(kv "$p" opened) | $(kv "$p" alive) | $(mib "$(kv "$p" rss_before_kib)") MiB | $(mib "$(kv "$p" rss_holding_kib)") MiB (RSS double-counts shared pages) | $(awk -v a="$(kv "$p" pss_before_kib)" -v b="$(kv "$p" pss_holding_kib)" -v n="$(kv "$p" opened)" 'BEGIN{ if (n>0) printf "%.1f KiB (PSS)", (b-a)/n }') | $(mib "$(kv "$p" pss_holding_kib)") MiB |"
  fi
  echo
  echo "Raw: ours \`$IDLE_OURS\`"
  [ -n "$IDLE_PF" ] && echo "Raw: Postfix \`$IDLE_PF\`"
} >"$RES/latest.md"
cat "$RES/latest.md"
[ $LOST = 0 ] || die "messages were lost (see notes above)"
