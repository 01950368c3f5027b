#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the raw results of scripts/guest/bench.sh into a markdown report and
a plot.

  report.py RAW OUTDIR [--commit C] [--mode M] [--no-plot]

Writes OUTDIR/latest.md (printed too), OUTDIR/latest.png and a copy of RAW
as OUTDIR/latest.txt. Exits 1 if a workload has no result for a condition.
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys

WORKLOADS = [
    ("udp_rr", "new UDP flows (request/response)", "flows/s"),
    ("tcp_crr", "new TCP connections (connect/accept/close)", "conn/s"),
    ("udp_pps", "established UDP, 18-byte datagrams", "packets/s"),
    ("tcp_stream", "established TCP throughput (one stream)", "Mbit/s"),
]
CONDS = ["none", "nft", "nf", "rct"]


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    """(max - min) / median, in percent."""
    if len(xs) < 2:
        return 0.0
    return 100.0 * (max(xs) - min(xs)) / statistics.median(xs)


def parse(path):
    rates, scale, mem, gc, dels, info = {}, {}, {}, {}, {}, {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            try:
                if p[0] == "rate" and p[3] != "warmup":
                    rates.setdefault((p[1], p[2]), {})[int(p[3])] = float(p[4])
                elif p[0] == "scale":
                    scale.setdefault((int(p[1]), p[2]), {})[int(p[3])] = float(p[4])
                elif p[0] == "mem":
                    mem[p[1]] = [float(x) for x in p[2:6]]
                elif p[0] == "gc":
                    gc[p[1]] = [float(x) for x in p[2:9]]
                elif p[0] == "del":
                    dels[p[1]] = [float(x) for x in p[2:5]]
                elif p[0] == "info":
                    info[p[1]] = " ".join(p[2:])
            except (IndexError, ValueError):
                print(f"report: ignoring malformed line: {line.strip()}", file=sys.stderr)
    return rates, scale, mem, gc, dels, info


def paired(a, b):
    """Median over rounds of a[r] / b[r] (rounds measured under both)."""
    rs = sorted(set(a) & set(b))
    return med([a[r] / b[r] for r in rs if b[r] > 0])


def fmt(x, digits=3):
    if x != x:  # NaN
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def report(raw, outdir, commit, mode, plot):
    rates, scale, mem, gc, dels, info = parse(raw)
    lines = []
    w = lines.append
    missing = []
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rounds = max((len(v) for v in rates.values()), default=0)
    w(f"Measured {date}, guest kernel {info.get('kernel', '?')}, commit {commit}, "
      f"{info.get('cpus', '?')} vCPUs, QEMU {mode}; {rounds} interleaved rounds of "
      f"{info.get('seconds', '?')} s per workload and condition in one boot; "
      f"{info.get('buckets', '?')} buckets in both tables.")
    w("")
    w("Conditions: **none** = no tracking; **nft** = an nft rule that needs no conntrack "
      "(what nft alone costs); **nf** = nf_conntrack tracking everything through an nft "
      "`ct state` rule; **rct** = rct.ko loaded (no nft). Rates are medians over rounds "
      "(spread = (max − min)/median); ratios are medians of per-round ratios. "
      "Overhead = 1 − rate/none; *nf alone* = 1 − nf/nft (nf_conntrack without the "
      "cost of the nft rule that switches it on).")
    w("")
    w("| workload | unit | none | nft | nf | rct | spread | rct/nf | nf overhead "
      "(nf alone) | rct overhead | rct/nf overhead |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for key, title, unit in WORKLOADS:
        r = {c: rates.get((key, c), {}) for c in CONDS}
        for c in CONDS:
            if not r[c]:
                missing.append(f"{key}/{c}")
        m = {c: med(list(r[c].values())) for c in CONDS}
        sp = max(spread(list(r[c].values())) for c in CONDS)
        rn = paired(r["rct"], r["nf"])
        nf_o = 1 - paired(r["nf"], r["none"])
        nf_alone = 1 - paired(r["nf"], r["nft"])
        rct_o = 1 - paired(r["rct"], r["none"])
        ratio = rct_o / nf_o if nf_o > 0 else float("nan")
        summary[key] = (rn, nf_o, rct_o, nf_alone)
        w(f"| {title} | {unit} | {fmt(m['none'])} | {fmt(m['nft'])} | {fmt(m['nf'])} | "
          f"{fmt(m['rct'])} | {sp:.1f}% | **{rn:.3f}** | {100 * nf_o:.1f}% "
          f"({100 * nf_alone:.1f}%) | {100 * rct_o:.1f}% | **{ratio:.2f}** |")
    w("")

    sizes = sorted({n for n, _ in scale})
    costs = {}
    if sizes:
        w("Lookup scaling: small-packet rate of 64 established UDP flows (sent in turn) "
          "with N entries in the table (one-way UDP flows to other ports). The 64 flows "
          "are created before the table fills up, so every later entry in their buckets "
          "sits in front of theirs: the worst case of a lookup, alike for rct and nf. "
          "Per-packet cost = 1/rate − 1/rate(none), in guest nanoseconds (under -icount: "
          "instructions); each packet is looked up in two namespaces.")
        w("")
        w("| entries | none pps | nf pps | rct pps | nf cost ns | rct cost ns | rct/nf cost |")
        w("|---|---|---|---|---|---|---|")
        for n in sizes:
            s = {c: scale.get((n, c), {}) for c in ("none", "nf", "rct")}
            m = {c: med(list(v.values())) for c, v in s.items()}
            cost = {}
            for c in ("nf", "rct"):
                rs = sorted(set(s[c]) & set(s["none"]))
                cost[c] = med([1e9 / s[c][r] - 1e9 / s["none"][r] for r in rs])
                costs.setdefault(c, []).append((n, cost[c]))
            rc = cost["rct"] / cost["nf"] if cost["nf"] > 0 else float("nan")
            w(f"| {n:,} | {fmt(m['none'])} | {fmt(m['nf'])} | {fmt(m['rct'])} | "
              f"{fmt(cost['nf'])} | {fmt(cost['rct'])} | **{rc:.2f}** |")
        for c in ("nf", "rct"):
            cs = dict(costs.get(c, []))
            if len(cs) >= 2 and cs[sizes[0]] > 0:
                summary[f"scale_{c}"] = cs[sizes[-1]] / cs[sizes[0]]
        w("")
        w(f"Cost at {sizes[-1]:,} entries / cost at {sizes[0]:,}: nf "
          f"**{summary.get('scale_nf', float('nan')):.2f}×**, rct "
          f"**{summary.get('scale_rct', float('nan')):.2f}×**.")
        w("")

    if mem:
        w("Memory per entry (both directions of a flow in one entry), from /proc/slabinfo "
          "(the entry cache's slab pages) and /proc/meminfo (all slab memory), growth "
          "divided by the entries added; hash tables are a fixed 8 bytes per bucket in both.")
        w("")
        w("| | entries added | object size | slab bytes/entry | all slab bytes/entry |")
        w("|---|---|---|---|---|")
        for c in ("nf", "rct"):
            if c in mem:
                e, sb, obj, km = mem[c]
                w(f"| {c} | {e:,.0f} | {obj:.0f} | {sb / e:.1f} | {km / e:.1f} |")
        if "nf" in mem and "rct" in mem:
            summary["mem"] = (mem["rct"][1] / mem["rct"][0]) / (mem["nf"][1] / mem["nf"][0])
            w("")
            w(f"rct/nf slab bytes per entry: **{summary['mem']:.2f}**.")
        w("")

    if gc:
        w("GC: entries expiring together (one-way UDP flows, same timeout); reap time = "
          "from the last expiry until ≤ 10 entries are left; round trips of a UDP "
          "ping-pong (one per ms) through both tables meanwhile vs. before expiry.")
        w("")
        w("| | entries | fill rate (flows/s) | reap time | max RTT during GC | max RTT before | left |")
        w("|---|---|---|---|---|---|---|")
        for c in ("nf", "rct"):
            if c in gc:
                e, rate, reap, mx, idle, left = (gc[c] + [float("nan")] * 6)[:6]
                w(f"| {c} | {e:,.0f} | {fmt(rate)} | {reap:.1f} s | {mx / 1000:.1f} ms | "
                  f"{idle / 1000:.1f} ms | {left:.0f} |")
        w("")

    if dels:
        w("Delete by filter: one `IPCTNL_MSG_CT_DELETE` with a `CTA_FILTER` on the "
          "original destination (what a netlink library sends to drop a restarted "
          "backend's entries), in a table of the given size; time of the request.")
        w("")
        w("| | entries | deleted | time |")
        w("|---|---|---|---|")
        for c in ("nf", "rct"):
            if c in dels:
                e, gone, secs = (dels[c] + [float("nan")] * 3)[:3]
                w(f"| {c} | {e:,.0f} | {gone:,.0f} | {secs * 1000:.0f} ms |")
        if "nf" in dels and "rct" in dels and dels["nf"][2] > 0:
            summary["del"] = dels["rct"][2] / dels["nf"][2]
            w("")
            w(f"rct/nf time: **{summary['del']:.2f}**.")
        w("")

    text = "\n".join(lines)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.md"), "w") as f:
        f.write(text + "\n")
    if os.path.abspath(raw) != os.path.abspath(os.path.join(outdir, "latest.txt")):
        shutil.copyfile(raw, os.path.join(outdir, "latest.txt"))
    print(text)
    if plot:
        draw(os.path.join(outdir, "latest.png"), rates, costs, mem, gc, summary)
    if missing:
        print(f"report: no results for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def draw(path, rates, costs, mem, gc, summary):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib missing, no plot", file=sys.stderr)
        return
    color = {"nft": "C0", "nf": "C1", "rct": "C2"}
    fig, ax = plt.subplots(2, 2, figsize=(12, 8))
    a = ax[0][0]
    xs = range(len(WORKLOADS))
    for i, c in enumerate(("nft", "nf", "rct")):
        ys, lo, hi = [], [], []
        for key, _, _ in WORKLOADS:
            r, n = rates.get((key, c), {}), rates.get((key, "none"), {})
            rs = sorted(set(r) & set(n))
            v = [r[k] / n[k] for k in rs if n[k] > 0] or [float("nan")]
            ys.append(statistics.median(v))
            lo.append(ys[-1] - min(v))
            hi.append(max(v) - ys[-1])
        a.bar([x + (i - 1) * 0.27 for x in xs], ys, 0.27, yerr=[lo, hi], label=c, capsize=3,
              color=color[c])
    a.set_xticks(list(xs), [k for k, _, _ in WORKLOADS])
    a.set_ylim(0.6, 1.05)
    a.axhline(1.0, color="grey", lw=0.5)
    a.set_title("rate relative to no tracking (min–max over rounds)")
    a.legend()
    a = ax[0][1]
    for c, pts in costs.items():
        a.plot([n for n, _ in pts], [v for _, v in pts], "o-", label=c, color=color[c])
    a.set_xscale("log")
    a.set_xlabel("entries in the table")
    a.set_ylabel("per-packet cost (guest ns)")
    a.set_title("lookup scaling")
    a.set_ylim(bottom=0)
    a.legend()
    a = ax[1][0]
    names = [c for c in ("nf", "rct") if c in mem]
    a.bar(names, [mem[c][1] / mem[c][0] for c in names], color=[color[c] for c in names])
    a.set_ylabel("slab bytes per entry")
    a.set_title("memory per entry (%s entries added)" % (f"{mem[names[0]][0]:,.0f}" if names else "?"))
    a = ax[1][1]
    names = [c for c in ("nf", "rct") if c in gc]
    a2 = a.twinx()
    for i, c in enumerate(names):
        a.bar(i, gc[c][2], 0.8, color=color[c], label=c)
        a2.bar(len(names) + 1 + i, gc[c][3] / 1000, 0.8, color=color[c])
    a.set_xticks([(len(names) - 1) / 2, len(names) + 1 + (len(names) - 1) / 2],
                 ["reap time after last expiry (s, left)", "max RTT during GC (ms, right)"])
    a.set_title("GC of %s expired entries" % (f"{gc[names[0]][0]:,.0f}" if names else "?"))
    a.legend(loc="upper center")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("outdir")
    ap.add_argument("--commit", default="?")
    ap.add_argument("--mode", default="TCG -icount shift=0")
    ap.add_argument("--no-plot", action="store_true")
    a = ap.parse_args()
    return report(a.raw, a.outdir, a.commit, a.mode, not a.no_plot)


if __name__ == "__main__":
    sys.exit(main())
