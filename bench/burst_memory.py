#!/usr/bin/env python3
"""Burst of concurrent large messages against one ingress process; prints replies and the process's peak RSS."""
import argparse, os, socket, subprocess, sys, tempfile, threading, time, urllib.request, collections

ap = argparse.ArgumentParser()
ap.add_argument("--sessions", type=int, default=45)
ap.add_argument("--mib", type=int, default=24)
ap.add_argument("--budget", type=int, default=0, help="MaxBufferedBodyBytes (0 = default)")
ap.add_argument("--heap-limit-mib", type=int, default=0, help="DOTNET_GCHeapHardLimit, as the runtime sets for a container")
ap.add_argument("--dll", default="services/Ingress/bin/Release/net10.0/EmailPipeline.Ingress.dll")
a = ap.parse_args()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

vhost = f"membench-{os.getpid()}"
subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True)
smtp, http = free_port(), free_port()
env = dict(os.environ, RABBITMQ_URL=f"amqp://guest:guest@127.0.0.1:5672/{vhost}", DOTNET_ENVIRONMENT="Testing",
           Ingress__HostName="mx.bench", Ingress__HttpUrl=f"http://127.0.0.1:{http}", Ingress__LocalDomains__0="example.test",
           Ingress__Listeners__0__Name="mx", Ingress__Listeners__0__Role="Mx", Ingress__Listeners__0__Address="127.0.0.1",
           Ingress__Listeners__0__Port=str(smtp), Ingress__Limits__MaxSessionsPerClient="200",
           Ingress__Limits__DataTimeout="00:01:00", Logging__LogLevel__Default="Warning")
if a.budget:
    env["Ingress__Limits__MaxBufferedBodyBytes"] = str(a.budget)
if a.heap_limit_mib:
    env["DOTNET_GCHeapHardLimit"] = hex(a.heap_limit_mib * 1024 * 1024)
log = tempfile.NamedTemporaryFile("w+", delete=False, suffix=".log")
proc = subprocess.Popen(["dotnet", os.path.abspath(a.dll)], env=env, cwd=tempfile.mkdtemp(), stdout=log, stderr=subprocess.STDOUT)
peak = [0]
def status(field):
    try:
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    except OSError:
        return 0
    return 0
def metric(name):
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=5).read().decode()
    except OSError:
        return None
    for line in page.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None
try:
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{http}/health/ready", timeout=2).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    print(f"budget in use: {metric('emailpipeline_ingress_body_budget_limit_bytes')}; RSS idle {status('VmRSS')} MiB", flush=True)
    body = b"Subject: burst\r\n\r\n" + (b"x" * 78 + b"\r\n") * (a.mib * 1024 * 1024 // 80)
    replies = [None] * a.sessions
    def session(i):
        try:
            s = socket.create_connection(("127.0.0.1", smtp), timeout=120)
            f = s.makefile("rb")
            def reply():
                lines = []
                while True:
                    line = f.readline().decode().rstrip("\r\n")
                    if not line: return "closed: " + " | ".join(lines)
                    lines.append(line)
                    if len(line) < 4 or line[3] != "-": return line
            reply()
            for cmd in (b"EHLO bench.test", f"MAIL FROM:<b{i}@remote.test>".encode(), b"RCPT TO:<u@example.test>", b"DATA"):
                s.sendall(cmd + b"\r\n"); r = reply()
                if not r[:1] in ("2", "3"):
                    replies[i] = r; return
            s.sendall(body); s.sendall(b".\r\n")
            replies[i] = reply()
            s.close()
        except OSError as e:
            replies[i] = f"error: {e!r}"
    start = time.time()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(a.sessions)]
    for t in threads: t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(0.05)
    elapsed = time.time() - start
    counts = collections.Counter((r or "none")[:9] for r in replies)
    print(f"{a.sessions} x {a.mib} MiB in {elapsed:.1f}s: {dict(counts)}")
    print(f"process alive: {proc.poll() is None}; peak RSS (VmHWM) {status('VmHWM')} MiB; RSS now {status('VmRSS')} MiB")
    print(f"budget used now: {metric('emailpipeline_ingress_body_budget_used_bytes')}; refusals: {metric('emailpipeline_ingress_body_budget_refusals_total')}")
    alloc = metric('dotnet_gc_heap_total_allocated_bytes_total')
    print(f"GC total allocated: {alloc and alloc / 2**20:.0f} MiB for {a.sessions * a.mib} MiB offered")
finally:
    proc.terminate()
    try: proc.wait(20)
    except subprocess.TimeoutExpired: proc.kill()
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost])
    log.seek(0); text = log.read()
    crit = [l for l in text.splitlines() if "OutOfMemory" in l or "crit" in l.lower()]
    print(f"log: {log.name}; OOM/crit lines: {len(crit)}", *crit[:3], sep="\n")
