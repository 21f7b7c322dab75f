#!/usr/bin/env python3
"""Medians of scripts/bench-vs-peers.sh's JSON lines, as the BENCHMARKS.md table."""
import json
import statistics
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]


def med(row, key, metric=None):
    vals = [r[key] for r in rows if r["row"] == row and (metric is None or r.get("metric") == metric)]
    return (statistics.median(vals), len(vals)) if vals else (float("nan"), 0)


gw_fast, n1 = med("gw_fast", "per_sec", "process")
gw_add, _ = med("gw_fast", "per_sec", "enqueue_bulk")
gw_c10, n2 = med("gw_conc10", "per_sec", "process")
default, n3 = med("default", "throughput_per_sec")
full, _ = med("default_full", "throughput_per_sec")
full_enqueue, _ = med("default_full", "enqueue_per_sec")
base, n4 = med("base", "throughput_per_sec")
base_enqueue, _ = med("base", "enqueue_per_sec")
gw_sf, _ = med("gw_sf", "per_sec", "process")
enqueue, _ = med("default", "enqueue_per_sec")
p50, _ = med("latency", "latency_ms_p50")
p99, _ = med("latency", "latency_ms_p99")
b10k, _ = med("backlog_10k", "throughput_per_sec")
b1m, _ = med("backlog_1m", "throughput_per_sec")
fresh, _ = med("fresh", "throughput_per_sec")
hist, _ = med("history_1m", "throughput_per_sec")
layers, _ = med("layers", "throughput_per_sec")
http, _ = med("http", "throughput_per_sec")
rss5, _ = med("rss_5", "peak_rss_mb")
rss200, _ = med("rss_200", "peak_rss_mb")


def line(figure, target, value, reference, ratio, ok):
    print(f"| {figure} | {target} | {value} | {reference} | {ratio} | {'yes' if ok else 'no'} |")


print(f"rounds: taskfleet {n3}, base {n4}, Graphile fast {n1}, Graphile conc 10 {n2}\n")
print("| figure | target | taskfleet (median) | reference (same run) | ratio | met |")
print("|---|---|---|---|---|---|")
line("noop throughput, default settings, 2 worker processes", "≥ 1.2 × GW fast", f"{default:,.0f}/s", f"GW fast {gw_fast:,.0f}/s", f"{default / gw_fast:.2f}", default >= 1.2 * gw_fast)
line("same, TASKFLEET_AUDIT=full", "reported", f"{full:,.0f}/s", f"GW fast {gw_fast:,.0f}/s", f"{full / gw_fast:.2f}", True)
if n4:
    line("same, the commit before (BASE)", "before/after", f"{default:,.0f}/s vs {base:,.0f}/s", f"GW fast {gw_fast:,.0f}/s", f"{default / base:.2f} (base {base / gw_fast:.2f} of GW)", default > base)
line("same features: record + audit row per task", "≥ 15 × GW + handler-written record", f"{default:,.0f}/s", f"GW --record {gw_sf:,.0f}/s", f"{default / gw_sf:.2f}", default >= 15 * gw_sf)
line("same, per-job comparison", "≥ 3 × GW conc 10", f"{default:,.0f}/s", f"GW conc 10 {gw_c10:,.0f}/s", f"{default / gw_c10:.2f}", default >= 3 * gw_c10)
line("bulk enqueue of 200k tasks", "≥ 1.2 × GW addJobs", f"{enqueue:,.0f}/s", f"GW addJobs {gw_add:,.0f}/s", f"{enqueue / gw_add:.2f}", enqueue >= 1.2 * gw_add)
if n4:
    line("same, the commit before (BASE)", "before/after", f"{enqueue:,.0f}/s vs {base_enqueue:,.0f}/s", f"GW addJobs {gw_add:,.0f}/s", f"{enqueue / base_enqueue:.2f}", enqueue > base_enqueue)
line("ready→started latency, idle workers (NOTIFY)", "p50 ≤ 3 ms, p99 ≤ 20 ms", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", "—", "—", p50 <= 3 and p99 <= 20)
line("backlog 1,000,000 vs 10,000 queued", "≥ 0.8", f"{b1m:,.0f}/s vs {b10k:,.0f}/s", "—", f"{b1m / b10k:.2f}", b1m >= 0.8 * b10k)
line("after 1,000,000 completed tasks vs fresh", "≥ 0.8", f"{hist:,.0f}/s vs {fresh:,.0f}/s", "—", f"{hist / fresh:.2f}", hist >= 0.8 * fresh)
line("--deps layers (10 layers) vs --deps none", "≥ 0.5", f"{layers:,.0f}/s vs {fresh:,.0f}/s", "—", f"{layers / fresh:.2f}", layers >= 0.5 * fresh)
line("--agent http (loopback agent), 2 × 200 slots", "≥ 10,000/s", f"{http:,.0f}/s", "—", "—", http >= 10000)
line("worker peak RSS, concurrency 5 / 200", "≤ 30 / ≤ 64 MB", f"{rss5:.1f} / {rss200:.1f} MB", "—", "—", rss5 <= 30 and rss200 <= 64)
