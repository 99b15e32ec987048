#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fileserver side by side: rxd-fileserver next to OpenAFS's dafileserver, same machine, one run.

The load generator is rxd-afsload (app/afsload): CreateFile, StoreData64 and FetchData64 of many
files by many concurrent calls (every fetched byte checked), FetchStatus storms.  It reaches both
servers the same way, over net_af_packet on one end of a veth pair whose other end is the server's:
OpenAFS's kernel UDP socket or rxd-fileserver's own net_af_packet (bench/fileserver_side.sh sets up
the private cell of tests/fileserver/cell/cell_lib.sh and runs one server's half).  rxd is also
measured over net_memif, its best case, labelled so.  Debian's afsio (kernel UDP) runs against both
for reference.  Server on CPU 1, load on CPU 0; the server's CPU time is utime+stime of all its
threads, per phase.  Prints a table with ratios and the aims, writes
bench/results/fileserver_side_by_side-<date>.json and the fileserver section of doc/benchmarks.md
(with --no-doc: the results file only, in /tmp).  Never a pass/fail test.

usage: bench/fileserver_side_by_side.py [--quick] [--build DIR] [--servers rxd,openafs,memif]
                                        [--no-doc] [--report RESULTS.json]
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20
BEGIN, END = "<!-- fileserver side by side: begin -->", "<!-- fileserver side by side: end -->"
NAMES = {"openafs": "OpenAFS dafileserver (kernel UDP)", "rxd-afpacket": "rxd-fileserver (af_packet)",
         "rxd-memif": "rxd-fileserver (memif, best case)"}
MODES = {"rxd": "rxd-afpacket", "openafs": "openafs", "memif": "rxd-memif"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def find_build(build):
    need = ("app/afsload/rxd-afsload", "app/fileserver/rxd-fileserver", "tests/fileserver/cell/afs_mkfile")
    for d in ([build] if build else []) + ["build", "build-full", "build-dpdk"]:
        p = os.path.join(ROOT, d)
        if all(os.path.exists(os.path.join(p, n)) for n in need):
            return p
    sys.exit("fileserver_side_by_side: no build with %s (scripts/build.sh; afs_mkfile needs libopenafs-dev)" %
             ", ".join(need))


def scenarios(quick):
    """rxd-afsload runs (name -> arguments) and afsio batches ((clients, bytes) each)."""
    if quick:
        load = {
            "bulk": "--files 8 --size 32m --concurrency 8 --passes 2 --mix store,fetch",
            "status": "--files 64 --size 4k --concurrency 64 --mix store,status --status-secs 4",
        }
        afsio = [(1, 64 * MIB), (4, 16 * MIB)]
    else:
        load = {
            "bulk": "--files 16 --size 64m --concurrency 16 --passes 3 --mix store,fetch",
            "bulk_c1": "--files 2 --size 256m --concurrency 1 --mix store,fetch",
            "status": "--files 256 --size 4k --concurrency 64 --mix store,status --status-secs 15",
        }
        # afsio stores a single write over 64 MiB at wrong offsets (tests/fileserver/cell/cell_lib.sh)
        afsio = [(1, 64 * MIB), (8, 64 * MIB)]
    return load, afsio


def run_side(build, mode, load, afsio, timeout):
    env = dict(os.environ,
               FSB_SCENARIOS="\n".join("%s %s" % kv for kv in load.items()),
               FSB_AFSIO="\n".join("%d %d" % ca for ca in afsio))
    cmd = ["bash", os.path.join(ROOT, "bench/fileserver_side.sh"), mode,
           os.path.join(build, "app/afsload/rxd-afsload"), os.path.join(build, "app/fileserver/rxd-fileserver"),
           os.path.join(build, "tests/fileserver/cell/afs_mkfile")]
    errlog = tempfile.NamedTemporaryFile("w+", prefix="fsbench-%s-" % mode, suffix=".log", delete=False)
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=errlog, text=True, timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
    errlog.seek(0)
    text = errlog.read()
    errlog.close()
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    if rc != 0:
        log("%s: exit %s; the last lines of its log (%s):" % (mode, rc, errlog.name))
        log("\n".join(text.splitlines()[-25:]))
    else:
        os.unlink(errlog.name)
    if rc == 77:
        log("%s: skipped (%s)" % (mode, text.strip().splitlines()[-1] if text.strip() else "?"))
    return rows, rc


def fmt(v, unit=""):
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f%s" % (v, unit)
    return "%.2f%s" % (v, unit) if v < 10 else "%.1f%s" % (v, unit)


def per_core(r, metric):
    """(per busy core, per dedicated core): the metric divided by the server's cores over the phase.
    Busy: CPU time / wall time of all threads.  Dedicated: a poll-mode lcore counts as a whole core
    whether it worked or polled, plus the CPU of the other threads."""
    secs, cpu = r.get("phase_secs") or r.get("secs"), r.get("server_cpu_s")
    if not secs or cpu is None:
        return None, None
    busy = cpu / secs
    lc = r.get("server_lcore_cpu_s", 0.0)
    dedicated = (1.0 + (cpu - lc) / secs) if r["server"] != "openafs" else busy
    v = r.get(metric, 0.0)
    return (v / busy if busy > 0 else None), (v / dedicated if dedicated > 0 else None)


def collect(rows):
    """{(tool, run, phase/op): {server: row}} for the measured phases."""
    out = {}
    for r in rows:
        if r.get("tool") == "afsload":
            if r["scenario"] not in ("store", "fetch", "status"):
                continue
            if r["run"].startswith("status") and r["scenario"] == "store":
                continue  # 4 KiB files stored to be statted: setup, too short to time
            key = ("afsload", r["run"], r["scenario"])
        else:
            key = ("afsio", "%dx%dMiB" % (r["clients"], r["file_bytes"] // MIB), r["scenario"])
        out.setdefault(key, {})[r["server"]] = r
    return out


def report(a, cond, rows, json_path, source=None):
    table = collect(rows)
    hdr = "%-7s %-11s %-7s %-34s %10s %6s %10s %10s %8s %7s %7s %7s" % (
        "tool", "run", "phase", "server", "rate", "cores", "/busycore", "/dedcore", "p99 ms", "x wall",
        "x busy", "x ded")
    lines = [hdr]
    ratios = {}
    for key in sorted(table, key=lambda k: (k[0] != "afsload", k[1], ["store", "fetch", "status", "write",
                                                                      "read"].index(k[2]))):
        tool, run, phase = key
        metric = "calls_per_s" if phase == "status" else "mb_per_s"
        unit = " c/s" if phase == "status" else " MB/s"
        base = table[key].get("openafs")
        bpc = per_core(base, metric)[0] if base else None
        for srv in ("openafs", "rxd-afpacket", "rxd-memif"):
            r = table[key].get(srv)
            if not r:
                continue
            busy, ded = per_core(r, metric)
            cores = r.get("server_cores")
            xw = r[metric] / base[metric] if base and base.get(metric) and srv != "openafs" else None
            # per core against OpenAFS's busy-core figure: rxd's busy-core figure, and its
            # dedicated-core one (poll mode: the lcore a whole core), the conservative comparison
            xb = busy / bpc if bpc and busy and srv != "openafs" else None
            xd = ded / bpc if bpc and ded and srv != "openafs" else None
            if srv != "openafs":
                ratios["%s/%s/%s/%s" % (tool, run, phase, srv)] = {"wall": xw, "per_busy_core": xb,
                                                                   "per_dedicated_core": xd}
            lines.append("%-7s %-11s %-7s %-34s %10s %6s %10s %10s %8s %7s %7s %7s" % (
                tool, run, phase, NAMES[srv], fmt(r[metric], unit), fmt(cores), fmt(busy), fmt(ded),
                fmt(r["p99_us"] / 1e3) if "p99_us" in r else "-", fmt(xw, "x"), fmt(xb, "x"), fmt(xd, "x")))
    aims = []
    for srv in ("rxd-afpacket", "rxd-memif"):
        for what, key in (("store MB/s", "afsload/bulk/store"), ("fetch MB/s", "afsload/bulk/fetch"),
                          ("FetchStatus calls/s", "afsload/status/status")):
            rr = ratios.get("%s/%s" % (key, srv))
            if rr:
                aims.append(("%s, %s: per busy server core >= 10x" % (NAMES[srv], what), rr["per_busy_core"]))
                aims.append(("%s, %s: per dedicated server core >= 10x" % (NAMES[srv], what),
                             rr["per_dedicated_core"]))
                aims.append(("%s, %s: wall clock >= 10x" % (NAMES[srv], what), rr["wall"]))
    lines.append("aims (against OpenAFS's dafileserver in the same run):")
    for what, v in aims:
        lines.append("  %-82s %7s  %s" % (what, fmt(v, "x"), "met" if v and v >= 10 else "MISSED"))
    text = "\n".join(lines)
    print(text)
    for r in rows:
        print(json.dumps(r))
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"conditions": cond, "rows": rows, "ratios": ratios}, f, indent=1)
    if a.no_doc:
        return
    write_doc(a, cond, text, os.path.relpath(os.path.abspath(json_path or source), ROOT))


def write_doc(a, cond, table, raw):
    sec = [BEGIN, "## Fileserver: rxd-fileserver vs OpenAFS's dafileserver", "",
           "Produced by `bench/fileserver_side_by_side.py%s` (as root). Conditions:" %
           (" --quick" if cond.get("quick") else ""), ""]
    sec += ["- %s: %s" % (k, v) for k, v in cond.items()]
    sec += ["",
            "The load: `rxd-afsload` (app/afsload) creates the files, stores them (StoreData64), fetches them "
            "back (FetchData64, every byte checked against what was stored) and runs FetchStatus calls, "
            "`--concurrency` calls in flight on one lcore; any failed call or wrong byte fails the run. "
            "It reaches every server over net_af_packet on one end of a veth pair; at the other end "
            "OpenAFS's dafileserver reads its kernel UDP socket and rxd-fileserver its own net_af_packet "
            "(`rxd-fileserver (af_packet)`, the fair comparison). `rxd-fileserver (memif)` joins the two "
            "rxd processes by shared memory: rxd's best case, no kernel anywhere. `afsio` rows: Debian's "
            "afsio (kernel UDP, CLIENTSxSIZE concurrent processes, each writing then reading its own file) "
            "against both, for reference: afsio costs about as much CPU per byte as the server, so it cannot "
            "show a server much faster than OpenAFS's.",
            "",
            "CPUs: the server on CPU 1 (rxd-fileserver: main and worker lcore, and the file-I/O threads "
            "that inherit the main lcore's CPU; dafileserver: taskset on every thread), the load on CPU 0. "
            "`cores` is the server's utime+stime of all its threads over the phase divided by the phase's "
            "wall time (/proc/PID/task/*/stat, sampled by rxd-afsload when a phase begins and when its "
            "last call completes). `/busycore` divides the rate by those cores. rxd-fileserver runs its "
            "lcore with `--idle-sleep 20` (it sleeps 20 us after an empty poll), so its CPU time counts its "
            "work and the polling between bursts; deployed in pure poll mode that lcore is a whole core "
            "whether busy or not, so `/dedcore` counts the lcore as one full core plus the CPU of the "
            "other threads (file I/O). For OpenAFS `/dedcore` = `/busycore`. `x wall` is the rate against "
            "OpenAFS's; `x busy` and `x ded` are rxd's `/busycore` and `/dedcore` against OpenAFS's "
            "`/busycore` (`x ded` is the conservative one, and undersells rxd whenever the load does "
            "not keep its lcore busy, as here). Kernel work done in softirq on the sender's CPU (veth "
            "delivery into the "
            "receiver's socket or packet ring) is charged to whoever sent: for OpenAFS's receive path that "
            "is the load generator's CPU, not the server's, which flatters OpenAFS's per-core figures.",
            "",
            "The machine has 2 CPUs shared with other work: figures of one run are noisy.",
            "", "```", table, "```", "",
            "The measurements: [%s](../%s) (`bench/fileserver_side_by_side.py --report %s` rebuilds this "
            "section from them)." % (raw, raw, raw), END]
    path = os.path.join(ROOT, "doc/benchmarks.md")
    old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    new = "\n".join(sec) + "\n"
    if BEGIN in old and END in old:
        old = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", lambda m: new, old, flags=re.S)
    else:
        old = old.rstrip("\n") + "\n\n" + new
    with open(path, "w") as f:
        f.write(old)
    log("fileserver_side_by_side: wrote the fileserver section of doc/benchmarks.md")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="about 2-3 minutes (also RXD_QUICK=1)")
    ap.add_argument("--build", help="build directory (build)")
    ap.add_argument("--servers", default="rxd,openafs,memif", help="which: rxd (af_packet), openafs, memif")
    ap.add_argument("--no-doc", action="store_true", help="results to /tmp, doc/benchmarks.md untouched")
    ap.add_argument("--report", metavar="RESULTS", help="rebuild the table and the doc section from a results file")
    a = ap.parse_args()
    a.quick = a.quick or os.environ.get("RXD_QUICK") == "1"
    if a.report:
        with open(a.report) as f:
            d = json.load(f)
        report(a, d["conditions"], d["rows"], None, source=a.report)
        return
    if os.geteuid() != 0:
        sys.exit("fileserver_side_by_side: run as root (network and mount namespaces)")
    build = find_build(a.build)
    load, afsio = scenarios(a.quick)
    rows, status = [], {}
    for mode in a.servers.split(","):
        if mode not in MODES:
            sys.exit("fileserver_side_by_side: --servers: unknown %s" % mode)
        log("== %s" % NAMES[MODES[mode]])
        got, rc = run_side(build, mode, load, afsio, 3600)
        rows += got
        status[MODES[mode]] = rc
    cond = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "ncpu": os.cpu_count(),
        "kernel": platform.release(),
        "openafs": subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "openafs-fileserver"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip(),
        "quick": a.quick,
        "afsload_runs": load,
        "afsio_batches": ["%d x %d MiB" % (c, b // MIB) for c, b in afsio],
        "exit_status": status,
        "files": "the servers' partitions are directories under /tmp (no fsync: rxd-fileserver without --sync)",
    }
    rdir = tempfile.gettempdir() if a.no_doc else os.path.join(ROOT, "bench/results")
    os.makedirs(rdir, exist_ok=True)
    path = os.path.join(rdir, "fileserver_side_by_side-%s.json" %
                        datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S"))
    report(a, cond, rows, path)
    log("fileserver_side_by_side: results in %s" % path)


if __name__ == "__main__":
    main()
