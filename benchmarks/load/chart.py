#!/usr/bin/env python3
"""Draws requests per server-core-second per scenario and server (medians)
from run.py's JSON as an SVG bar chart, with Debian's gnuplot.

usage: chart.py last-run.json chart.svg"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as f:
        results = json.load(f)
    scenarios = [s for s in results if len(results[s]) > 1]  # peers to compare against
    peers = []
    for s in scenarios:
        for p in results[s]:
            if p not in peers:
                peers.append(p)
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "data.txt")
        with open(data, "w") as f:
            f.write("scenario " + " ".join(peers) + "\n")
            for s in scenarios:
                row = [str(statistics.median(x["per_core_s"] for x in results[s][p])) if p in results[s] else "NaN"
                       for p in peers]
                f.write(s + " " + " ".join(row) + "\n")
        plots = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{p}'" for i, p in enumerate(peers))
        script = f"""
set terminal svg size 900,480 dynamic font 'sans,12'
set output '{target}'
set title 'Requests per server-core-second (higher is better; median of the repetitions)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right
set grid ytics
set yrange [0:*]
set format y '%.1s%c'
plot {plots}
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
