#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Side-by-side benchmark: rxd (DPDK shell over net_memif, 1 and 2 worker
lcores) next to OpenAFS rx (openafs_peer over loopback UDP), same scenarios,
same machine, one run.  Prints a table with ratios and one JSON line per
measurement, writes bench/results/side_by_side-<date>.json, a PNG plot and
doc/benchmarks.md.  Never a pass/fail test.

usage: bench/side_by_side.py [--quick] [--seconds N] [--build DIR] [--no-doc]
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
    """An rxd server and an rxd client process joined by net_memif (--no-huge)."""

    def __init__(self, build, workers):
        self.rxd = os.path.join(build, "app/rxd/rxd")
        self.workers = workers

    def lcores(self, side):
        ncpu = os.cpu_count() or 1
        if self.workers == 1:
            return ("0@0,1@1" if side == "s" else "0@1,1@0"), []
        # two workers per process: workers on both CPUs, the main lcore shares CPU
        base = 0 if side == "s" else 1
        m = "0@%d,1@%d,2@%d" % (base % ncpu, base % ncpu, (base + 1) % ncpu)
        # 4 busy pollers on 2 CPUs: let an idle poller yield
        return m, (["--idle-sleep", "5"] if ncpu < 4 else [])

    def run(self, name, client_args, timeout=240):
        d = tempfile.mkdtemp(prefix="rxd-bench.")
        sock = os.path.join(d, "memif.sock")
        tag = "%d%s%d" % (os.getpid(), name[:6], self.workers)
        sl, sx = self.lcores("s")
        cl, cx = self.lcores("c")
        common = ["--no-pci", "--no-huge", "-m", "1024", "--log-level=lib.eal:error"]
        srv = subprocess.Popen(
            [self.rxd, "--lcores", sl] + common + ["--file-prefix", "rbs" + tag, "--vdev",
             "net_memif0,role=server,socket=%s,socket-abstract=no" % sock, "--", "--mode", "server",
             "--ip", "198.18.1.1/24"] + sx,
            stdout=open(os.path.join(d, "s.log"), "w"), stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        cli_log = os.path.join(d, "c.log")
        cli = subprocess.Popen(
            [self.rxd, "--lcores", cl] + common + ["--file-prefix", "rbc" + tag, "--vdev",
             "net_memif0,role=client,socket=%s,socket-abstract=no" % sock, "--", "--mode", "client",
             "--ip", "198.18.1.2/24", "--peer", "198.18.1.1:7009", "--start-delay", "1", "--hold", "10"] + cx +
            client_args,
            stdout=open(cli_log, "w"), stderr=subprocess.STDOUT)
        res = None
        t_end = time.time() + timeout
        while time.time() < t_end:
            with open(cli_log) as f:
                for line in f:
                    if line.startswith("{"):
                        res = json.loads(line)
            if res or cli.poll() is not None:
                break
            time.sleep(0.1)
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(20)
        except subprocess.TimeoutExpired:
            srv.kill()
        try:
            cli.wait(30)
        except subprocess.TimeoutExpired:
            cli.kill()
        if not res:
            with open(cli_log) as f:
                tail = f.read()[-800:]
            log("rxd %s (%d workers): no result\n%s" % (name, self.workers, tail))
        shutil.rmtree(d, ignore_errors=True)
        for pfx in ("rbs" + tag, "rbc" + tag):
            shutil.rmtree("/var/run/dpdk/" + pfx, ignore_errors=True)
        return res


def rxd_scenarios(secs, bulk):
    s = str(secs)
    return {
        "small_c1": ["--calls", "0", "--duration", s, "--concurrency", "1", "--size-req", "1", "--size-resp", "1"],
        "small_c16": ["--calls", "0", "--duration", s, "--concurrency", "16", "--size-req", "1", "--size-resp", "1"],
        "small_c64": ["--calls", "0", "--duration", s, "--concurrency", "64", "--size-req", "1", "--size-resp", "1"],
        "bulk_send": ["--calls", "3", "--concurrency", "1", "--size-req", str(bulk)],
        "bulk_recv": ["--calls", "3", "--concurrency", "1", "--size-resp", str(bulk)],
        "bulk_send_c16": ["--calls", "16", "--concurrency", "16", "--size-req", str(bulk)],
        "bulk_recv_c16": ["--calls", "16", "--concurrency", "16", "--size-resp", str(bulk)],
    }


def rxd_row(res, workers):
    sh = res.get("shell", {})
    el = res.get("elapsed_s") or 1e-9
    pkts = sh.get("rx_pkts", 0) + sh.get("tx_pkts", 0)
    return {
        "impl": "rxd-memif-%dw" % workers,
        "calls_per_s": res.get("calls_per_s", 0.0),
        "MB_per_s": res.get("mb_per_s", 0.0),
        "p50_us": res.get("p50_us", 0.0),
        "p99_us": res.get("p99_us", 0.0),
        "pkts_per_s_per_core": pkts / el / workers,
        "failed": res.get("calls_failed", 0),
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
            "MB_per_s": j.get("MB_per_s", 0.0),
            "p50_us": j.get("p50_us", 0.0),
            "p99_us": j.get("p99_us", 0.0),
            "pkts_per_s_per_core": None,
            "failed": j.get("errors", 0),
        }
    return rows


def testpmd_limit(secs):
    """Raw memif rate: testpmd txonly -> rxonly between two processes (64 B and 1472 B)."""
    tp = shutil.which("dpdk-testpmd")
    if not tp:
        return {}
    res = {}
    for size in (64, 1472):
        d = tempfile.mkdtemp(prefix="tpmd.")
        sock = os.path.join(d, "memif.sock")
        common = ["--no-pci", "--no-huge", "-m", "1024", "--log-level=lib.eal:error"]
        args = ["--", "--stats-period", "1", "--nb-cores", "1", "--total-num-mbufs", "16384",
                "--disable-link-check"]
        rx = subprocess.Popen([tp, "--lcores", "0@0,1@1"] + common + ["--file-prefix", "tpr%d" % os.getpid(),
                              "--vdev", "net_memif0,role=server,socket=%s,socket-abstract=no" % sock] + args +
                              ["--forward-mode=rxonly"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        for _ in range(200):  # the server creates the socket once its port starts
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(0.5)
        tx = subprocess.Popen([tp, "--lcores", "0@1,1@0"] + common + ["--file-prefix", "tpt%d" % os.getpid(),
                              "--vdev", "net_memif0,role=client,socket=%s,socket-abstract=no" % sock] + args +
                              ["--forward-mode=txonly", "--txpkts=%d" % size], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(secs + 4)
        for p in (tx, rx):
            p.send_signal(signal.SIGINT)
        try:
            out = rx.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            rx.kill()
            out = ""
        try:
            tx.wait(20)
        except subprocess.TimeoutExpired:
            tx.kill()
        pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", out)]
        pps = [p for p in pps if p > 0]
        res[size] = max(pps) if pps else 0
        shutil.rmtree(d, ignore_errors=True)
        for pfx in ("tpr%d" % os.getpid(), "tpt%d" % os.getpid()):
            shutil.rmtree("/var/run/dpdk/" + pfx, ignore_errors=True)
    return res


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f%s" % (v, unit)
    return "%.2f%s" % (v, unit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2 s rate runs, 16 MiB bulk calls")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--build", default=None)
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite doc/benchmarks.md")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("side_by_side: run as root (DPDK EAL runtime dir, memif sockets)")
    secs = 2 if a.quick else a.seconds
    bulk = 16 * MIB if a.quick else 64 * MIB
    build = find_build(a.build)
    peer = os.path.join(build, "tests/interop/openafs_peer")
    scen = rxd_scenarios(secs, bulk)
    results = {}

    log("== OpenAFS rx (openafs_peer, loopback UDP, server CPU 1, client CPU 0)")
    for k, v in openafs_rows(peer, secs, a.quick).items():
        results.setdefault(k, {})["openafs"] = v
    for w in (1, 2):
        r = Rxd(build, w)
        for name, args in scen.items():
            log("== rxd, %d worker lcore(s) per process, net_memif: %s" % (w, name))
            res = r.run(name, args)
            if res:
                results.setdefault(name, {})["rxd%d" % w] = rxd_row(res, w)
    log("== dpdk-testpmd memif txonly -> rxonly (raw limit)")
    tpmd = testpmd_limit(secs)

    # ---- table ----
    hdr = "%-14s %-10s %12s %12s %12s %10s %10s %14s %9s" % ("scenario", "impl", "calls/s", "MB/s",
                                                          "vs OpenAFS", "p50 us", "p99 us", "pkts/s/core",
                                                          "fwd")
    lines = [hdr]
    for name in scen:
        row = results.get(name, {})
        base = row.get("openafs")
        for key in ("openafs", "rxd1", "rxd2"):
            r = row.get(key)
            if not r:
                continue
            metric = "MB_per_s" if name.startswith("bulk") else "calls_per_s"
            ratio = (r[metric] / base[metric]) if base and base.get(metric) else None
            r["ratio_vs_openafs"] = ratio
            lines.append("%-14s %-10s %12s %12s %12s %10s %10s %14s %9s" % (
                name, {"openafs": "openafs", "rxd1": "rxd 1w", "rxd2": "rxd 2w"}[key], fmt(r["calls_per_s"]),
                fmt(r["MB_per_s"]), (fmt(ratio, "x") if key != "openafs" and ratio else "-"), fmt(r["p50_us"]),
                fmt(r["p99_us"]), fmt(r["pkts_per_s_per_core"]),
                ("%.0f%%" % (100 * r["fwd_share"]) if "fwd_share" in r else "-")))
    for size, pps in sorted(tpmd.items()):
        lines.append("testpmd memif txonly->rxonly %4d B: %s pps" % (size, fmt(float(pps))))
    best_pps = max((r.get("pkts_per_s_per_core") or 0) for row in results.values() for k, r in row.items()
                   if k.startswith("rxd")) if results else 0
    if tpmd.get(1472):
        lines.append("rxd best packets/s per core vs testpmd 1472 B memif limit: %.0f%%" %
                     (100.0 * best_pps / tpmd[1472]))
    table = "\n".join(lines)
    print(table)

    cond = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "ncpu": os.cpu_count(),
        "kernel": platform.release(),
        "dpdk": subprocess.run(["pkg-config", "--modversion", "libdpdk"], stdout=subprocess.PIPE,
                               text=True).stdout.strip(),
        "rxd": "net_memif between two processes, --no-huge, MTU 1500, rxnull, rxperf service 147",
        "openafs": "OpenAFS 1.8 userspace rx (openafs_peer), loopback UDP, 4 MiB socket buffers, jumbograms on",
        "seconds": secs, "bulk_bytes": bulk,
    }
    for name, row in results.items():
        for key, r in row.items():
            print(json.dumps(dict(scenario=name, **r)))
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    out = {"conditions": cond, "results": results, "testpmd_memif_pps": tpmd}
    with open(os.path.join(ROOT, "bench/results/side_by_side-%s.json" % stamp), "w") as f:
        json.dump(out, f, indent=1)
    if a.no_doc:
        return
    png = os.path.join(ROOT, "doc/benchmarks.png")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        small = [n for n in scen if n.startswith("small")]
        bulkn = [n for n in scen if n.startswith("bulk")]
        for ax, names, metric, title in ((axes[0], small, "calls_per_s", "small calls (1 B / 1 B): calls/s"),
                                         (axes[1], bulkn, "MB_per_s", "bulk calls: MB/s")):
            width = 0.27
            for i, (key, label) in enumerate((("openafs", "OpenAFS rx (UDP)"), ("rxd1", "rxd 1 worker (memif)"),
                                              ("rxd2", "rxd 2 workers (memif)"))):
                vals = [results.get(n, {}).get(key, {}).get(metric, 0) for n in names]
                ax.bar([x + (i - 1) * width for x in range(len(names))], vals, width, label=label)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(names, rotation=20)
            ax.set_yscale("log")
            ax.set_title(title)
            ax.legend(fontsize=8)
        fig.suptitle("rxd vs OpenAFS rx, %s, %d CPUs" % (cond["date"], cond["ncpu"]))
        fig.tight_layout()
        fig.savefig(png, dpi=100)
    except Exception as e:  # the plot is a convenience; the table is the record
        log("side_by_side: no plot: %s" % e)
    with open(os.path.join(ROOT, "doc/benchmarks.md"), "w") as f:
        f.write("# Benchmarks\n\nProduced by `bench/side_by_side.py%s` (run as root). Conditions:\n\n" %
                (" --quick" if a.quick else ""))
        for k, v in cond.items():
            f.write("- %s: %s\n" % (k, v))
        f.write("\nrxd runs as two processes (server, client) joined by net_memif, each with the stated "
                "number of worker lcores; on a 2-CPU machine two workers per process oversubscribe the CPUs "
                "(4 busy pollers), so the 2-worker rows measure sharding and forwarding, not scaling. "
                "`fwd` is the share of received packets a worker forwarded to the owning lcore. OpenAFS runs "
                "its own client and server over loopback UDP. Ratios compare with OpenAFS in the same run.\n\n")
        f.write("```\n" + table + "\n```\n\n![side by side](benchmarks.png)\n")
    log("side_by_side: wrote doc/benchmarks.md, %s" % png)


if __name__ == "__main__":
    main()
