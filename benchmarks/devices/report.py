#!/usr/bin/env python3
"""Turns device_benchmarks' JSON into the Markdown table of benchmarks/devices/run.sh:
medians over repetitions, each device row against its peer row as a throughput ratio.
A device benchmark file adds its rows to ROWS (label, device benchmark, peer, target)."""
import json
import re
import statistics
import sys

# (what, device benchmark name, peer benchmark name, target ratio or None)
ROWS = [
    ("virtio-blk 4 KiB random reads, device on the caller's thread",
     "BM_VirtioBlk/4k_random_sync", "BM_Pread/4k_random", None),
    ("virtio-blk 4 KiB random reads, device worker thread (as in hull-vmm)",
     "BM_VirtioBlk/4k_random_worker", "BM_Pread/4k_random", None),
    ("virtio-blk 64 KiB sequential reads, device on the caller's thread",
     "BM_VirtioBlk/64k_sequential_sync", "BM_Pread/64k_sequential", 0.90),
    ("virtio-blk 64 KiB sequential reads, device worker thread (as in hull-vmm)",
     "BM_VirtioBlk/64k_sequential_worker", "BM_Pread/64k_sequential", 0.90),
]

# virtio-net (net_bench.cc): (what, device benchmark, peer benchmark), frames per second.
NET_ROWS = [
    ("virtio-net tx, 64-byte frames", "BM_VirtioNetTx/64", "BM_TapWrite/64"),
    ("virtio-net tx, 1500-byte frames", "BM_VirtioNetTx/1500", "BM_TapWrite/1500"),
    ("virtio-net rx, 64-byte frames", "BM_VirtioNetRx/64", "BM_TapRead/64"),
    ("virtio-net rx, 1500-byte frames", "BM_VirtioNetRx/1500", "BM_TapRead/1500"),
]


# Rate limiters (blk_bench.cc): (what, benchmark, limit text); counter achieved_over_limit.
LIMIT_ROWS = [
    ("virtio-blk 64 KiB sequential reads limited to 100 MiB/s",
     "BM_VirtioBlk/64k_sequential_limited_100MiBps", "100 MiB/s"),
    ("virtio-blk 4 KiB random reads limited to 5 000 requests/s",
     "BM_VirtioBlk/4k_random_limited_5kops", "5 000 ops/s"),
]


def print_limit_table(median):
    print()
    print("| What (≥ 5 s, device worker) | Limit | Achieved / limit | Target |")
    print("|---|---|---|---|")
    for what, name, limit in LIMIT_ROWS:
        ratio = median(name, "achieved_over_limit")
        if ratio is None:
            print(f"| {what} | {limit} | (not run) | |")
            continue
        verdict = "within 10 %: " + ("met" if abs(ratio - 1) <= 0.10 else "NOT met")
        print(f"| {what} | {limit} | {ratio:.3f} | {verdict} |")


def print_net_table(median):
    print()
    print("| What | Device frames/s | Peer (write/read on a tap) frames/s | Ratio |")
    print("|---|---|---|---|")
    for what, dev, peer in NET_ROWS:
        d, p = median(dev, "items_per_second"), median(peer, "items_per_second")
        if d is None or p is None:
            print(f"| {what} | (not run: needs root and /dev/net/tun) | | |")
            continue
        print(f"| {what} | {d / 1e3:.0f} k | {p / 1e3:.0f} k | {d / p:.0%} |")


def main(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"] if "run_name" in b else b["name"]
        # "/real_time", "/min_time:5.000", "/repeats:1" are how it ran, not what.
        name = re.sub(r"/(real_time|min_time:[^/]*|repeats:[^/]*)", "", name)
        runs.setdefault(name, []).append(b)

    def median(name, key):
        values = [b[key] for b in runs.get(name, []) if key in b]
        return statistics.median(values) if values else None

    ctx = data["context"]
    print("| What | Throughput | Peer (plain syscall) | Ratio | Target | Device ns/request | "
          "of which not I/O (target ≤ 2000 at 4 KiB) |")
    print("|---|---|---|---|---|---|---|")
    for what, dev, peer, target in ROWS:
        d, p = median(dev, "bytes_per_second"), median(peer, "bytes_per_second")
        if d is None or p is None:
            print(f"| {what} | (not run) | | | | |")
            continue
        ratio = d / p
        ns = median(dev, "device_ns_per_req")
        overhead = median(dev, "device_overhead_ns_per_req")
        verdict = "" if target is None else (f"≥ {target:.0%} " + ("met" if ratio >= target else "NOT met"))
        print(f"| {what} | {d / 2**30:.2f} GiB/s | {p / 2**30:.2f} GiB/s | {ratio:.0%} | {verdict} | "
              f"{ns:.0f} | {overhead:.0f} |")
    print()
    print(f"Medians of {len(next(iter(runs.values())))} interleaved repetitions, wall-clock time; "
          f"{ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz, load average "
          f"{' '.join(f'{x:.1f}' for x in ctx.get('load_avg', []))} at start. "
          "Device ns/request: BlockDevice::busy_ns / requests (parsing, the I/O itself, the "
          "used ring); 'of which not I/O': the same minus the time inside the Disk — what the "
          "device adds to each request.")
    print_limit_table(median)
    print_net_table(median)


if __name__ == "__main__":
    main(sys.argv[1])
