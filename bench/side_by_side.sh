#!/usr/bin/env bash
# One command for the side-by-side benchmark: builds if needed, then runs
# bench/side_by_side.py (rxd over memif with 1 and 2 worker lcores, OpenAFS rx
# over loopback UDP, dpdk-testpmd's raw memif rate) and writes doc/benchmarks.md.
#   bench/side_by_side.sh [--quick] [--seconds N]      (RXD_QUICK=1 is --quick)
#   bench/side_by_side.sh --report bench/results/side_by_side-STAMP.json   (table + doc from a saved run)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/app/rxd/rxd ] || { scripts/deps.sh; scripts/build.sh build >/dev/null; }
# Debian's python3 (python3-matplotlib draws the plot), not a pyenv one first in PATH
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" bench/side_by_side.py --build build "$@"
