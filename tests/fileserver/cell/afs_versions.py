#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""afs_versions.py VERSION... -- FILE...: which versions each FILE is made of.

The versions are files of equal length and random contents.  For every
FILE prints one line:
  FILE whole N        FILE equals version N (0-based, in the order given)
  FILE mixed N,M,...  FILE is runs of bytes, each equal to the same bytes of
                      some version, not all of the same one (the versions of
                      the runs in file order)
  FILE foreign OFF    the bytes at OFF are no version's (no version has the
                      same RUN_MIN bytes there), or FILE's length differs
A run must be RUN_MIN (16) bytes long at least where it starts: random
versions share 16 bytes at one offset by chance with odds of 2^-128.
Exit status 0 when no FILE is foreign, 1 otherwise, 2 for usage errors.
"""
import sys

RUN_MIN = 16
STEP = 4096


def run_end(data, version, pos):
    """The first offset >= pos where data and version differ (len(data) if none)."""
    size = len(data)
    while pos < size:
        end = min(pos + STEP, size)
        if data[pos:end] == version[pos:end]:
            pos = end
            continue
        lo, hi = pos, end  # the first difference is in [lo, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if data[lo:mid] == version[lo:mid]:
                lo = mid
            else:
                hi = mid
        return lo
    return size


def classify(data, versions):
    size = len(versions[0])
    if len(data) != size:
        return f"foreign {min(len(data), size)}"
    runs, pos = [], 0
    while pos < size:
        head = data[pos:pos + RUN_MIN]
        cands = [i for i, v in enumerate(versions) if v[pos:pos + RUN_MIN] == head]
        if not cands:
            return f"foreign {pos}"
        # the candidate whose run goes furthest
        best = max(cands, key=lambda i: run_end(data, versions[i], pos))
        if not runs or runs[-1] != best:
            runs.append(best)
        pos = run_end(data, versions[best], pos)
    if len(runs) == 1:
        return f"whole {runs[0]}"
    return "mixed " + ",".join(map(str, runs))


def main(argv):
    if "--" not in argv[2:]:
        print(__doc__, file=sys.stderr)
        return 2
    sep = argv.index("--", 1)
    versions = []
    for name in argv[1:sep]:
        with open(name, "rb") as f:
            versions.append(f.read())
    if not versions or any(len(v) != len(versions[0]) for v in versions):
        print("afs_versions: versions of equal length wanted", file=sys.stderr)
        return 2
    rc = 0
    for name in argv[sep + 1:]:
        with open(name, "rb") as f:
            verdict = classify(f.read(), versions)
        print(f"{name} {verdict}")
        rc |= verdict.startswith("foreign")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
