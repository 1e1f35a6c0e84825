#!/usr/bin/env python3
"""Latency probes for bench/pipeline.sh.

send  <port> <out.tsv> <stopfile> [interval_s] [max] [min]:
    one SMTP session; sends a small probe message (header "X-Bench-Probe: <token>") every interval
    (default 0.02 s) until <stopfile> exists (at least min=10, at most max=200 probes); writes
    "<token>\t<unix time the 250 after DATA was read>" for every probe that got a 250.
latency <probes.tsv> <dumpdir>:
    finds each probe in smtp-sink's dump files (-d, one file per message), takes the file's mtime as the
    arrival time (the earliest, if delivered twice), prints
    "probes=<sent> found=<n> median_ms=<m> p90_ms=<p> max_ms=<x>".
"""
import os, smtplib, statistics, sys, time, uuid


def send(port, out, stopfile, interval=0.02, maximum=200, minimum=10):
    s = smtplib.SMTP("127.0.0.1", int(port), timeout=60)
    s.ehlo("probe.test")
    n = 0
    with open(out, "w") as f:
        maximum, minimum = int(maximum), int(minimum)
        while n < maximum and (n < minimum or not os.path.exists(stopfile)):
            token = uuid.uuid4().hex
            msg = (f"From: <probe@test.example>\r\nTo: <rcpt@sink.test>\r\nSubject: probe {n}\r\n"
                   f"X-Bench-Probe: {token}\r\n\r\nprobe\r\n").encode()
            s.mail("probe@test.example")
            s.rcpt("rcpt@sink.test")
            code, _ = s.data(msg)
            t = time.time()
            if code == 250:
                f.write(f"{token}\t{t:.6f}\n")
                f.flush()
            n += 1
            time.sleep(float(interval))
    s.quit()


def latency(probes, dumpdir):
    sent = {}
    for line in open(probes):
        token, t = line.split()
        sent[token] = float(t)
    arrived = {}
    for name in os.listdir(dumpdir):
        path = os.path.join(dumpdir, name)
        try:
            with open(path, "rb") as f:
                head = f.read(4096)
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        i = head.find(b"X-Bench-Probe: ")
        if i < 0:
            continue
        token = head[i + 15:i + 47].decode()
        if token in sent:
            arrived[token] = min(arrived.get(token, mtime), mtime)
    lat = sorted((arrived[t] - sent[t]) * 1000 for t in arrived)
    if not lat:
        print(f"probes={len(sent)} found=0 median_ms=- p90_ms=- max_ms=-")
        return
    p90 = lat[min(len(lat) - 1, int(0.9 * len(lat)))]
    print(f"probes={len(sent)} found={len(lat)} median_ms={statistics.median(lat):.0f} p90_ms={p90:.0f} max_ms={lat[-1]:.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(*sys.argv[2:])
    elif sys.argv[1] == "latency":
        latency(*sys.argv[2:])
    else:
        sys.exit("usage: probe.py send|latency ...")
