#!/usr/bin/env python3
"""Open N idle SMTP sessions, read each 220 greeting, hold them, and report the server's memory.

Usage: idle.py HOST PORT COUNT HOLD_SECONDS PID[,PID...]|smtpd
  PID list: the server process(es) whose VmRSS is summed.
  "smtpd":  sum VmRSS (and Pss) of every process named smtpd (Postfix forks one per session).
Prints one line of key=value pairs at the end. Bounded in time: connecting gives up after 120 s, the hold
lasts HOLD_SECONDS, and everything is closed before exit.
"""
import asyncio
import os
import sys
import time


def mem_kib(pids):
    """(rss, pss) in KiB summed over pids; pss from smaps_rollup (shared pages split fairly)."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return rss, pss


def smtpd_pids():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() == "smtpd":
                        out.append(int(d))
            except OSError:
                pass
    return out


async def open_one(host, port, sem, conns, stats):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
            line = await asyncio.wait_for(reader.readline(), 30)
        except (OSError, asyncio.TimeoutError) as e:
            stats["errors"] += 1
            stats.setdefault("first_error", repr(e))
            return
        if line.startswith(b"220"):
            conns.append((reader, writer))
        else:
            stats["errors"] += 1
            stats.setdefault("first_error", line.decode(errors="replace").strip())
            writer.close()


async def main():
    host, port, count, hold, who = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    pids = (lambda: smtpd_pids()) if who == "smtpd" else (lambda p=[int(x) for x in who.split(",")]: p)
    before = mem_kib(pids())
    conns, stats = [], {"errors": 0}
    sem = asyncio.Semaphore(200)  # connection attempts in flight; keeps the listen backlog from overflowing
    t0 = time.monotonic()
    tasks = [asyncio.create_task(open_one(host, port, sem, conns, stats)) for _ in range(count)]
    await asyncio.wait(tasks, timeout=120)
    opened_s = time.monotonic() - t0
    peak = (0, 0)
    samples = nproc = 0
    end = time.monotonic() + hold
    while time.monotonic() < end:
        await asyncio.sleep(min(2.0, max(0.0, end - time.monotonic())))
        current = pids()
        m = mem_kib(current)
        samples += 1
        if m[0] > peak[0]:
            peak, nproc = m, len(current)
    # still open at the end of the hold? (a server that dropped them shows EOF)
    alive = sum(1 for r, w in conns if not r.at_eof() and not w.is_closing())
    for _, w in conns:
        w.close()
    for t in tasks:
        t.cancel()
    print(f"opened={len(conns)} alive={alive} errors={stats['errors']} open_seconds={opened_s:.1f} "
          f"processes={nproc} samples={samples} "
          f"rss_before_kib={before[0]} rss_holding_kib={peak[0]} pss_before_kib={before[1]} pss_holding_kib={peak[1]}"
          + (f" first_error={stats['first_error']!r}" if "first_error" in stats else ""))


if __name__ == "__main__":
    asyncio.run(main())
