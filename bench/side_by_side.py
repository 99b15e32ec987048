#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Side-by-side benchmark: rxd (DPDK shell over net_memif, 1 and 2 worker
lcores) next to OpenAFS rx (openafs_peer over loopback UDP), same scenarios,
same machine, one run.  Prints a table with ratios and one JSON line per
measurement, writes bench/results/side_by_side-<date>.json, a PNG plot and
doc/benchmarks.md (with --no-doc: the results file only, in /tmp).  Never a pass/fail test.

usage: bench/side_by_side.py [--quick] [--seconds N] [--build DIR] [--no-doc] [--only REGEX]
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def find_build(build):
    for d in ([build] if build else []) + ["build", "build-full", "build-dpdk"]:
        p = os.path.join(ROOT, d)
        if os.path.exists(os.path.join(p, "app/rxd/rxd")) and os.path.exists(
                os.path.join(p, "tests/interop/openafs_peer")):
            return p
    sys.exit("side_by_side: no build with app/rxd/rxd and tests/interop/openafs_peer (run scripts/build.sh)")


class Rxd:
    """An rxd server and an rxd client process joined by net_memif (--no-huge): the memif pair of
    scripts/lib/harness.sh, which owns the launch, the wait and the close order."""

    def __init__(self, build, workers):
        self.rxd = os.path.join(build, "app/rxd/rxd")
        self.workers = workers

    def run(self, name, client_args, timeout=900, server_args=()):
        # 4 busy pollers on 2 CPUs (2 workers per process) yield after 5 us idle
        cmd = ["bash", os.path.join(ROOT, "scripts/lib/harness.sh"), "memif-pair", "-i", "5", name,
               str(self.workers), "--mode", "server"] + list(server_args) + ["--"] + client_args
        try:
            p = subprocess.run(cmd, env=dict(os.environ, RXD=self.rxd), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            log("rxd %s (%d workers): no result within %d s" % (name, self.workers, timeout))
            return None
        res = None
        for line in p.stdout.splitlines():
            if line.startswith("{"):
                res = json.loads(line)
        if not res:
            log("rxd %s (%d workers): no result\n%s" % (name, self.workers, p.stderr[-800:]))
        return res


class RxdLoop:
    """One rxd process, client and server inside (--mode loop over a net_ring pair): 1 worker on
    one CPU, or 2 workers on both.  On a 2-CPU machine this is the fair scaling test: each worker
    runs the client and the server side of its own shard, with no CPU oversubscribed."""

    def __init__(self, build, workers):
        self.rxd = os.path.join(build, "app/rxd/rxd")
        self.workers = workers

    def run(self, name, client_args, timeout=240, server_args=()):
        # one process: the client's arguments (security included) configure its server too
        lc = "0@0,1@0" if self.workers == 1 else "0@0,1@0,2@1"
        tag = "rbl%d%s%d" % (os.getpid(), name[:6], self.workers)
        try:
            out = subprocess.run([self.rxd, "--lcores", lc, "--no-pci", "--no-huge", "-m", "1024",
                                  "--log-level=lib.eal:error", "--file-prefix", tag, "--", "--mode", "loop",
                                  "--server-kind", "rxperf"] + client_args, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            out = ""
        shutil.rmtree("/var/run/dpdk/" + tag, ignore_errors=True)
        res = None
        for line in out.splitlines():
            if line.startswith("{"):
                res = json.loads(line)
        if not res:
            log("rxd loop %s (%d workers): no result\n%s" % (name, self.workers, out[-800:]))
        return res


def rxd_scenarios(secs, bulk):
    s = str(secs)
    return {
        "small_c1": ["--calls", "0", "--duration", s, "--concurrency", "1", "--size-req", "1", "--size-resp", "1"],
        "small_c16": ["--calls", "0", "--duration", s, "--concurrency", "16", "--size-req", "1", "--size-resp", "1"],
        # 64 calls in flight need 16 conns to the server, as OpenAFS's side opens (bundle_conns, doc/config.md)
        "small_c64": ["--calls", "0", "--duration", s, "--concurrency", "64", "--size-req", "1", "--size-resp", "1",
                      "--set", "bundle_conns=16"],
        "bulk_send": ["--calls", "3", "--concurrency", "1", "--size-req", str(bulk)],
        "bulk_recv": ["--calls", "3", "--concurrency", "1", "--size-resp", str(bulk)],
        "bulk_send_c16": ["--calls", "16", "--concurrency", "16", "--size-req", str(bulk)],
        "bulk_recv_c16": ["--calls", "16", "--concurrency", "16", "--size-resp", str(bulk)],
    }


# rxkad at level crypt: the key and kvno bench/openafs_side.sh gives openafs_peer.  Crypt calls are
# a quarter of the bulk size: OpenAFS moves tens of MB/s at crypt.
CRYPT_ARGS = ["--security", "crypt", "--key", "4a6b1c3d5e7f0829", "--kvno", "7"]


def crypt_scenarios(bulk):
    b = str(bulk // 4)
    return {
        "bulk_send_crypt": ["--calls", "3", "--concurrency", "1", "--size-req", b] + CRYPT_ARGS,
        "bulk_recv_crypt": ["--calls", "3", "--concurrency", "1", "--size-resp", b] + CRYPT_ARGS,
        "bulk_send_c16_crypt": ["--calls", "16", "--concurrency", "16", "--size-req", b] + CRYPT_ARGS,
        "bulk_recv_c16_crypt": ["--calls", "16", "--concurrency", "16", "--size-resp", b] + CRYPT_ARGS,
    }


# The crypt rows again with this many crypto lcores per process besides its worker (--crypto-lcores,
# doc/crypto-offload.md): how crypt-level throughput grows with crypto lcores.
CRYPTO_LCORES = (1, 2)


def all_scenarios(secs, bulk):
    return dict(rxd_scenarios(secs, bulk), **crypt_scenarios(bulk))


def rxd_has_rxkad(rxd):
    """rxd's launcher takes --security crypt --key --kvno once rxkad is in (rxperf's test uses the same probe)."""
    out = subprocess.run([rxd, "--", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    return "--kvno" in out and "--security" in out


def rxd_row(res, workers, loop=False, crypto=0):
    sh = res.get("shell", {})
    el = res.get("secs") or 1e-9
    pkts = sh.get("rx_pkts", 0) + sh.get("tx_pkts", 0)
    return {
        "impl": ("rxd-loop-%dw" if loop else "rxd-memif-%dw") % workers + ("-%dc" % crypto if crypto else ""),
        "calls_per_s": res.get("calls_per_s", 0.0),
        "mb_per_s": res.get("mb_per_s", 0.0),
        "p50_us": res.get("p50_us", 0.0),
        "p99_us": res.get("p99_us", 0.0),
        "pkts_per_s_per_core": pkts / el / workers,
        "calls_failed": res.get("calls_failed", 0),
        "fwd_share": (sh.get("fwd_out", 0) / sh["rx_pkts"]) if sh.get("rx_pkts") else 0.0,
    }


def openafs_rows(peer, secs, quick):
    args = [os.path.join(ROOT, "bench/openafs_side.sh"), "-p", peer, "-d", str(secs)] + (["-q"] if quick else [])
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=1800).stdout
    rows = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        j = json.loads(line)
        el = j.get("secs") or 1e-9
        rows[j["scenario"]] = {
            "impl": "openafs-rx-udp",
            "calls_per_s": j.get("calls_per_s", 0.0),
            "mb_per_s": j.get("mb_per_s", 0.0),
            "p50_us": j.get("p50_us", 0.0),
            "p99_us": j.get("p99_us", 0.0),
            "pkts_per_s_per_core": None,
            "calls_failed": j.get("calls_failed", 0),
        }
    return rows


def testpmd_limit(secs):
    """Raw memif rate: dpdk-testpmd txonly -> rxonly between two processes (64 B and 1472 B frames).

    The rate is the growth of the receiver's cumulative RX-packets counter between two of its
    periodic statistics blocks, over our own wall clock: robust to the partial first interval and
    to testpmd's per-interval Rx-pps readings, which swing widely on a shared 2-CPU VM."""
    tp = shutil.which("dpdk-testpmd")
    if not tp:
        log("dpdk-testpmd not found (package dpdk): no raw memif limit")
        return {}
    res = {}
    for size in (64, 1472):
        d = tempfile.mkdtemp(prefix="tpmd.")
        sock = os.path.join(d, "memif.sock")
        pfx = "tp%d_%d" % (os.getpid(), size)
        common = ["--no-pci", "--no-huge", "-m", "1024", "--log-level=lib.eal:error"]
        args = ["--", "--stats-period", "1", "--nb-cores", "1", "--total-num-mbufs", "16384",
                "--disable-link-check"]
        # line-buffered: each statistics block must reach us when printed, not at exit
        rx = subprocess.Popen(["stdbuf", "-oL", tp, "--lcores", "0@0,1@1"] + common + ["--file-prefix", pfx + "r",
                              "--vdev", "net_memif0,role=server,socket=%s,socket-abstract=no" % sock] + args +
                              ["--forward-mode=rxonly"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        samples = []  # (monotonic time, cumulative RX-packets)

        def reader():
            for line in rx.stdout:
                m = re.search(r"RX-packets:\s+(\d+)", line)
                if m:
                    samples.append((time.monotonic(), int(m.group(1))))

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        for _ in range(200):  # forwarding runs once the first statistics block is out
            if os.path.exists(sock) and samples:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        txlog = os.path.join(d, "tx.log")
        tx = subprocess.Popen([tp, "--lcores", "0@1,1@0"] + common + ["--file-prefix", pfx + "t",
                              "--vdev", "net_memif0,role=client,socket=%s,socket-abstract=no" % sock] + args +
                              ["--forward-mode=txonly", "--txpkts=%d" % size], stdin=subprocess.DEVNULL,
                              stdout=open(txlog, "w"), stderr=subprocess.STDOUT)
        # memif's link comes up when the control threads get CPU time: wait for traffic, then
        # measure for secs (at least 3 statistics blocks), all bounded
        t_end = time.monotonic() + 30
        t_flow = None
        while time.monotonic() < t_end and tx.poll() is None:
            flowing = [x for x in samples if x[1] > 0]
            if flowing and t_flow is None:
                t_flow = time.monotonic()
            if t_flow is not None and time.monotonic() - t_flow >= max(secs, 3) and len(flowing) >= 3:
                break
            time.sleep(0.1)
        flowing = [x for x in samples if x[1] > 0]
        if os.environ.get("RXD_BENCH_DEBUG"):
            log("testpmd %d B samples: %s" % (size, samples))
        for p in (tx, rx):
            p.send_signal(signal.SIGINT)
        for p in (tx, rx):
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        th.join(5)
        # from the first block that saw traffic to the last one taken while tx still ran
        if len(flowing) >= 3 and flowing[-1][0] > flowing[0][0]:
            res[size] = int((flowing[-1][1] - flowing[0][1]) / (flowing[-1][0] - flowing[0][0]))
        else:
            res[size] = 0
            with open(txlog) as f:
                log("testpmd %d B: no traffic measured; txonly said:\n%s" % (size, f.read()[-600:]))
        shutil.rmtree(d, ignore_errors=True)
        for sfx in ("r", "t"):
            shutil.rmtree("/var/run/dpdk/" + pfx + sfx, ignore_errors=True)
    return res


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f%s" % (v, unit)
    return "%.2f%s" % (v, unit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", default=os.environ.get("RXD_QUICK") == "1",
                    help="2 s rate runs, 16 MiB bulk calls (also RXD_QUICK=1)")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--build", default=None)
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite doc/benchmarks.md")
    ap.add_argument("--only", metavar="REGEX", help="only the scenarios whose name matches (e.g. crypt); "
                    "no testpmd run, and doc/benchmarks.md is left alone")
    ap.add_argument("--report", metavar="JSON", help="no runs: rebuild the table and doc/benchmarks.md from a "
                    "bench/results/side_by_side-*.json of an earlier run")
    a = ap.parse_args()
    if a.report:
        with open(a.report) as f:
            saved = json.load(f)
        report(a, saved["conditions"], saved["results"], {int(k): v for k, v in saved["testpmd_memif_pps"].items()},
               all_scenarios(saved["conditions"]["seconds"], saved["conditions"]["bulk_bytes"]), None,
               source=a.report)
        return
    if os.geteuid() != 0:
        sys.exit("side_by_side: run as root (DPDK EAL runtime dir, memif sockets)")
    secs = 2 if a.quick else a.seconds
    bulk = 16 * MIB if a.quick else 64 * MIB
    build = find_build(a.build)
    peer = os.path.join(build, "tests/interop/openafs_peer")
    scen = all_scenarios(secs, bulk)
    if a.only:
        scen = {k: v for k, v in scen.items() if re.search(a.only, k)}
        a.no_doc = True
    results = {}
    rxkad = rxd_has_rxkad(os.path.join(build, "app/rxd/rxd"))
    if not rxkad:
        log("rxd has no --security crypt --key --kvno (rxkad not in this build): the *_crypt rows are OpenAFS only")

    log("== OpenAFS rx (openafs_peer, loopback UDP, server CPU 1, client CPU 0)")
    for k, v in openafs_rows(peer, secs, a.quick).items():
        if k in scen:
            results.setdefault(k, {})["openafs"] = v
    setups = ((Rxd, "rxd", False, "rxd, %d worker lcore(s) per process, net_memif"),
              (RxdLoop, "loop", True, "rxd loop (client + server in one process, net_ring), %d worker lcore(s)"))
    for cls, key, loop, what in setups:
        for w in (1, 2):
            r = cls(build, w)
            for name, args in scen.items():
                crypt = name.endswith("_crypt")
                if crypt and not rxkad:
                    continue
                log("== " + what % w + ": " + name)
                res = r.run(name, args, server_args=CRYPT_ARGS if crypt else ())
                if res:
                    results.setdefault(name, {})["%s%d" % (key, w)] = rxd_row(res, w, loop=loop)
    for c in CRYPTO_LCORES if rxkad else ():
        # one worker and c crypto lcores per process: memif_pair maps 1 + c worker lcores
        r = Rxd(build, 1 + c)
        more = ["--crypto-lcores", str(c)]
        for name, args in scen.items():
            if not name.endswith("_crypt"):
                continue
            log("== rxd, 1 worker + %d crypto lcore(s) per process, net_memif: %s" % (c, name))
            res = r.run(name, args + more, server_args=CRYPT_ARGS + more)
            if res:
                results.setdefault(name, {})["rxd1c%d" % c] = rxd_row(res, 1, crypto=c)
    tpmd = {}
    if not a.only:
        log("== dpdk-testpmd memif txonly -> rxonly (raw limit)")
        tpmd = testpmd_limit(secs)

    cond = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "ncpu": os.cpu_count(),
        "kernel": platform.release(),
        "dpdk": subprocess.run(["pkg-config", "--modversion", "libdpdk"], stdout=subprocess.PIPE,
                               text=True).stdout.strip(),
        "rxd": "net_memif between two processes (and net_ring inside one for loop rows), --no-huge, "
               "MTU 1500, rxnull, rxperf service 147, default settings",
        "openafs": "OpenAFS 1.8 userspace rx (openafs_peer), loopback UDP, 4 MiB socket buffers, jumbograms on",
        "seconds": secs, "bulk_bytes": bulk, "crypt_bulk_bytes": bulk // 4,
        "rxd_rxkad": rxkad,
        "crypto_lcores": list(CRYPTO_LCORES),
    }
    # the repository keeps only the results doc/benchmarks.md is made from; --no-doc runs go to /tmp
    rdir = tempfile.gettempdir() if a.no_doc else os.path.join(ROOT, "bench/results")
    os.makedirs(rdir, exist_ok=True)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(rdir, "side_by_side-%s.json" % stamp)
    report(a, cond, results, tpmd, scen, path)
    log("side_by_side: results in %s" % path)


def report(a, cond, results, tpmd, scen, json_path, source=None):
    """Table, ratios, aims; JSON lines; the results file (json_path) and doc/benchmarks.md, which
    names the results file it was made from (json_path, or source when rebuilt by --report)."""
    hdr = "%-19s %-10s %12s %12s %12s %10s %10s %14s %9s" % ("scenario", "impl", "calls/s", "MB/s",
                                                          "vs OpenAFS", "p50 us", "p99 us", "pkts/s/core",
                                                          "fwd")
    lines = [hdr]
    labels = {"openafs": "openafs", "rxd1": "rxd 1w", "rxd2": "rxd 2w", "loop1": "loop 1w", "loop2": "loop 2w"}
    labels.update({"rxd1c%d" % c: "rxd 1w+%dc" % c for c in CRYPTO_LCORES})
    for name in scen:
        row = results.get(name, {})
        base = row.get("openafs")
        for key in labels:
            r = row.get(key)
            if not r:
                continue
            metric = "mb_per_s" if name.startswith("bulk") else "calls_per_s"
            ratio = (r[metric] / base[metric]) if base and base.get(metric) else None
            r["ratio_vs_openafs"] = ratio
            lines.append("%-19s %-10s %12s %12s %12s %10s %10s %14s %9s" % (
                name, labels[key], fmt(r["calls_per_s"]),
                fmt(r["mb_per_s"]), (fmt(ratio, "x") if key != "openafs" and ratio else "-"), fmt(r["p50_us"]),
                fmt(r["p99_us"]), fmt(r["pkts_per_s_per_core"]),
                ("%.0f%%" % (100 * r["fwd_share"]) if "fwd_share" in r else "-")))
    for name in scen:
        row = results.get(name, {})
        zero = (row.get("rxd1") or {}).get("mb_per_s")
        if not name.endswith("_crypt") or not zero:
            continue
        parts = []
        for c in CRYPTO_LCORES:
            r = row.get("rxd1c%d" % c)
            if r:
                r["ratio_vs_0_crypto_lcores"] = r["mb_per_s"] / zero
                parts.append("%d: %s MB/s (%.2fx)" % (c, fmt(r["mb_per_s"]), r["ratio_vs_0_crypto_lcores"]))
        if parts:
            lines.append("crypt scaling %-19s crypto lcores 0: %s MB/s, %s" % (name, fmt(zero), ", ".join(parts)))
    for size, pps in sorted(tpmd.items()):
        lines.append("testpmd memif txonly->rxonly %4d B: %s pps" % (size, fmt(float(pps))))
    r1 = {n: results.get(n, {}).get("rxd1") or {} for n in scen}
    if tpmd.get(1472):
        # DATA frames of a bulk call: 1412 B payload + 28 B RxRPC + 42 B UDP/IP/Ethernet = 1482 B
        best = max(r1[n].get("mb_per_s", 0) for n in scen if n.startswith("bulk")) * 1e6 / 1412
        lines.append("rxd bulk (1 worker/process): %s DATA frames/s of 1482 B = %.0f%% of testpmd's 1472 B rate" %
                     (fmt(best), 100.0 * best / tpmd[1472]))
    if tpmd.get(64) and r1.get("small_c64"):
        # per call: one request and one reply datagram (90 B frames) through the server lcore
        pps = 2 * r1["small_c64"].get("calls_per_s", 0)
        lines.append("rxd small calls c64 (1 worker/process): %s datagrams/s through the server lcore = %.0f%% "
                     "of testpmd's 64 B rate (one direction)" % (fmt(pps), 100.0 * pps / tpmd[64]))
    aims = [
        ("small calls/s per server lcore (c64) >= 2 M", r1.get("small_c64", {}).get("calls_per_s", 0), 2e6, True),
        ("one bulk call, send, MB/s >= 1500", r1.get("bulk_send", {}).get("mb_per_s", 0), 1500, True),
        ("one bulk call, receive, MB/s >= 1500", r1.get("bulk_recv", {}).get("mb_per_s", 0), 1500, True),
        ("16 concurrent bulk sends, MB/s >= 1800", r1.get("bulk_send_c16", {}).get("mb_per_s", 0), 1800, True),
        ("16 concurrent bulk receives, MB/s >= 1800", r1.get("bulk_recv_c16", {}).get("mb_per_s", 0), 1800, True),
        ("small-call p50 (c1) <= 10 us", r1.get("small_c1", {}).get("p50_us", 1e9), 10, False),
        ("small-call p99 (c1) <= 30 us", r1.get("small_c1", {}).get("p99_us", 1e9), 30, False),
    ]
    lines.append("aims (rxd 1w over memif):")
    for what, v, lim, higher in aims:
        ok = v >= lim if higher else v <= lim
        lines.append("  %-46s %12s  %s" % (what, fmt(v), "met" if ok else "MISSED"))
    table = "\n".join(lines)
    print(table)

    for name, row in results.items():
        for key, r in row.items():
            print(json.dumps(dict(scenario=name, **r)))
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"conditions": cond, "results": results, "testpmd_memif_pps": tpmd}, f, indent=1)
    if a.no_doc:
        return
    png = os.path.join(ROOT, "doc/benchmarks.png")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(13, 6))
        small = [n for n in scen if n.startswith("small")]
        bulkn = [n for n in scen if n.startswith("bulk")]
        for ax, names, metric, title in ((axes[0], small, "calls_per_s", "small calls (1 B / 1 B): calls/s"),
                                         (axes[1], bulkn, "mb_per_s", "bulk calls: MB/s")):
            keys = (("openafs", "OpenAFS rx (UDP)"), ("rxd1", "rxd 1 worker/process (memif)"),
                    ("rxd2", "rxd 2 workers/process (memif, CPUs oversubscribed)"),
                    ("loop1", "rxd loop, 1 worker (1 CPU)"), ("loop2", "rxd loop, 2 workers (2 CPUs)")) + tuple(
                        ("rxd1c%d" % c, "rxd 1 worker + %d crypto lcore(s)/process (memif)" % c)
                        for c in CRYPTO_LCORES)
            width = 0.8 / len(keys)
            for i, (key, label) in enumerate(keys):
                vals = [results.get(n, {}).get(key, {}).get(metric, 0) for n in names]
                ax.bar([x + (i - (len(keys) - 1) / 2) * width for x in range(len(names))], vals, width, label=label)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(names, rotation=20)
            ax.set_yscale("log")
            ax.set_title(title)
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
        fig.suptitle("rxd vs OpenAFS rx, %s, %d CPUs" % (cond["date"], cond["ncpu"]))
        fig.tight_layout()
        fig.savefig(png, dpi=100)
    except Exception as e:  # the plot is a convenience; the table is the record
        log("side_by_side: no plot: %s" % e)
    # the fileserver section belongs to bench/fileserver_side_by_side.py: kept as it is
    doc = os.path.join(ROOT, "doc/benchmarks.md")
    kept = re.search(r"\n<!-- fileserver side by side: begin -->.*?<!-- fileserver side by side: end -->\n",
                     open(doc).read() if os.path.exists(doc) else "", re.S)
    with open(doc, "w") as f:
        f.write("# Benchmarks\n\nProduced by `bench/side_by_side.py%s` (run as root). Conditions:\n\n" %
                (" --quick" if a.quick else ""))
        for k, v in cond.items():
            f.write("- %s: %s\n" % (k, v))
        f.write("\nRows:\n\n"
                "- `openafs`: OpenAFS's own rx client and server (openafs_peer) over loopback UDP, "
                "server on CPU 1, client on CPU 0.\n"
                "- `rxd 1w`: an rxd server process and an rxd client process joined by net_memif, one "
                "worker lcore each, on different CPUs (the headline: one server lcore).\n"
                "- `rxd 2w`: the same with two worker lcores per process. On a 2-CPU machine that is four "
                "busy pollers on two CPUs (with `--idle-sleep 5`), so these rows show that cid sharding "
                "needs no forwarding (`fwd`), not how rxd scales.\n"
                "- `loop 1w` / `loop 2w`: one rxd process running client and server (`--mode loop`, a "
                "net_ring pair), with one worker on one CPU or two workers on two CPUs: the scaling test "
                "that fits this machine. Each worker does client and server work, so its rate per CPU is "
                "about half of the memif server's.\n\n"
                "`*_crypt`: bulk calls of a quarter of the bulk size under rxkad at level crypt (fcrypt over "
                "every DATA packet), OpenAFS through its own rxkad (openafs_peer --security crypt), rxd "
                "through its own once its launcher takes `--security crypt --key --kvno` (until then the "
                "rows are OpenAFS only).\n\n"
                "`rxd 1w+Nc` (crypt rows only): one worker and N crypto lcores per process "
                "(`--crypto-lcores N`, [crypto-offload.md](crypto-offload.md)); the `crypt scaling` lines give "
                "each as a ratio to 0 crypto lcores (`rxd 1w`). On a 2-CPU machine the two processes' "
                "workers, crypto lcores and main lcores share two CPUs (`--idle-sleep 5`), so these rows "
                "show that crypto lcores take the cipher off the worker, not how far they scale.\n\n"
                "`fwd` is the share of received packets a worker forwarded to the owning lcore; "
                "`pkts/s/core` counts packets received plus sent per worker lcore. Ratios compare with "
                "OpenAFS in the same run (calls/s for small calls, MB/s for bulk). The testpmd lines are "
                "the raw memif rate between two processes (txonly -> rxonly, one forwarding core each).\n\n")
        raw = os.path.relpath(os.path.abspath(json_path or source), ROOT)
        f.write("```\n" + table + "\n```\n\n![side by side](benchmarks.png)\n\n"
                "The measurements: [%s](../%s) (`bench/side_by_side.sh --report %s` rebuilds this page "
                "from them; commit that file with the page).\n\n" % (raw, raw, raw))
        f.write("Where the time goes, and what profiling changed: [performance.md](performance.md).\n")
        if kept:
            f.write(kept.group(0))
    log("side_by_side: wrote doc/benchmarks.md, %s" % png)


if __name__ == "__main__":
    main()
