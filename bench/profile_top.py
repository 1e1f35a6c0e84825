#!/usr/bin/env python3
"""Where a service's threads were busy, from a dotnet-trace sampled-thread-time profile converted to speedscope
(`dotnet-trace convert X.nettrace --format Speedscope`). Time with a waiting frame on top (thread pool idle, locks,
epoll, socket reads) is left out, so what remains approximates CPU; printed as the top frames by exclusive and by
inclusive busy time, as shares of all busy time. Usage: profile_top.py FILE.speedscope.json [N]"""
import json
import sys
from collections import defaultdict

WAITING = ("WaitForSignal", "Monitor.Wait", "WaitOneNoCheck", "WaitNative", "Interop+Sys.Read", "Sys.WaitForSocketEvents",
           "LowLevelLifoSemaphore.Wait", "Thread.Sleep", "Missing Symbol", "Interop+Sys.Poll", "epoll", "SleepEx",
           "WaitHandle.WaitMultiple", "Interop+Sys.LowLevelMonitor",
           # Unresolved native frames: almost all epoll_wait under SocketAsyncEngine.EventLoop. A thread-pool thread
           # whose top frame is WorkerThreadStart is spinning for work. Neither is work for a message.
           "?!?", "WorkerThreadStart()", "PollGCWorker")

PSEUDO = {"CPU_TIME", "UNMANAGED_CODE_TIME"}
STRUCTURE = ("Process64 ", "(Non-Activities)", "Threads", "Thread (", "Thread.StartCallback", "WorkerThreadStart",
             "ExecutionContext.Run", "ThreadPoolWorkQueue.Dispatch", "<Main>")


def main(path, n):
    doc = json.load(open(path))
    frames = [f["name"] for f in doc["shared"]["frames"]]
    excl, incl = defaultdict(float), defaultdict(float)
    busy = 0.0
    for profile in doc["profiles"]:
        stack, last = [], None
        for e in profile["events"]:
            if last is not None and stack and e["at"] > last:
                span = e["at"] - last
                # The converter ends each stack with a pseudo-frame saying whether the thread ran managed code
                # (CPU_TIME) or was in native code (UNMANAGED_CODE_TIME: waiting, or e.g. SQLite); the frame below it
                # says which.
                real = [f for f in stack if frames[f] not in PSEUDO]
                leaf = frames[real[-1]] if real else "?"
                if not any(w in leaf for w in WAITING):
                    busy += span
                    excl[leaf] += span
                    for f in set(real):
                        incl[frames[f]] += span
            last = e["at"]
            if e["type"] == "O":
                stack.append(e["frame"])
            elif stack:
                stack.pop()
    print(f"busy thread time {busy:.0f} ms")
    for title, table in (("exclusive", excl), ("inclusive", incl)):
        print(f"top {n} by {title} busy time")
        rows = [(k, v) for k, v in table.items() if title == "exclusive" or not any(x in k for x in STRUCTURE)]
        for name, t in sorted(rows, key=lambda kv: -kv[1])[:n]:
            print(f"  {100 * t / busy:5.1f} %  {name[:150]}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
