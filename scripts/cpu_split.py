#!/usr/bin/env python3
"""CPU split of a command: samples /proc every 200 ms and sums CPU time of postgres, taskfleet
and other processes while it runs. Usage: scripts/cpu_split.py taskfleet bench ..."""
import os, sys, time, subprocess, json, threading
hz = os.sysconf('SC_CLK_TCK')
seen = {}
def sample():
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try:
            stat = open(f'/proc/{pid}/stat').read()
            comm = stat[stat.index('(')+1:stat.rindex(')')]
            f = stat[stat.rindex(')')+2:].split()
            t = int(f[11]) + int(f[12])
        except Exception: continue
        k = 'postgres' if comm.startswith('postgres') else ('taskfleet' if comm.startswith('taskfleet') else 'other')
        first, _, _ = seen.get(pid, (t, t, k))
        seen[pid] = (first, t, k)
stop = False
def loop():
    while not stop:
        sample(); time.sleep(0.2)
th = threading.Thread(target=loop); th.start()
t0 = time.time()
res = subprocess.run(sys.argv[1:], capture_output=True, text=True, env={**os.environ, 'RUST_LOG': 'error'}).stdout
stop = True; th.join()
tot = {}
for first, last, k in seen.values(): tot[k] = tot.get(k, 0) + (last - first)
print(res.strip().splitlines()[-1])
wall = time.time() - t0
for k, v in tot.items(): print(f"{k}: {v/hz:.1f} s CPU of {wall:.1f} s wall ({v/hz/wall:.2f} cores)")
