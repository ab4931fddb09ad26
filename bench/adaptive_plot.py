#!/usr/bin/python3
"""Draws bench/adaptive.py's figures as an SVG bar chart.

    /usr/bin/python3 bench/adaptive_plot.py FIGURES.json OUT.svg [--title TEXT]

FIGURES.json is what `bench/adaptive.py --json` writes. One group of bars
per family and worker count, one bar per tool (wall time / ideal), and the
target for the family as a dashed line across the group.
"""
import argparse
import json
from xml.sax.saxutils import escape

# The scheduling targets per family, wall / ideal (docs/benchmarks.md).
TARGETS = {"cold": 1.10, "warm": 1.05, "noisy": 1.10, "drift": 1.10, "new": 1.10,
           "expensive": 1.10}
COLOURS = {"original": "#9e9e9e", "static": "#4a90d9", "dynamic": "#e8833a", "no-prestart": "#8bc34a"}


def draw(figures, title):
    results = figures["results"]
    tools = [t for t in ("original", "static", "dynamic", "no-prestart") if results and t in results[0]]
    bar, gap, left, top, height = 14, 18, 56, 40, 260
    width = left + len(results) * (len(tools) * bar + gap) + 20
    low = 0.9
    high = max([1.2] + [r[t]["ratio"] for r in results for t in tools]) + 0.05

    def y(ratio):
        return top + height * (1 - (min(ratio, high) - low) / (high - low))

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (width, top + height + 70)]
    out.append('<text x="%d" y="20" font-size="13">%s</text>' % (left, escape(title)))
    tick = 1.0
    while tick <= high:
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, width - 10, y(tick), y(tick)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (left - 6, y(tick) + 4, tick))
        tick = round(tick + 0.1, 6)
    out.append('<text x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle">wall time / ideal</text>'
               % (top + height // 2, top + height // 2))
    x = left + gap // 2
    for r in results:
        group = len(tools) * bar
        target = TARGETS.get(r["family"])
        for k, t in enumerate(tools):
            ratio = r[t]["ratio"]
            out.append('<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s, %d workers, %s: '
                       '%.2f s, %.3f x ideal</title></rect>'
                       % (x + k * bar, y(ratio), bar - 2, y(low) - y(ratio), COLOURS[t], escape(r["family"]),
                          r["workers"], t, r[t]["wall"], ratio))
        if target:
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#000" stroke-dasharray="3,2"/>'
                       % (x - 2, x + group, y(target), y(target)))
        out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (x + group // 2, top + height + 14,
                                                                             escape(r["family"])))
        out.append('<text x="%d" y="%d" text-anchor="middle">%d w</text>' % (x + group // 2, top + height + 27,
                                                                             r["workers"]))
        x += group + gap
    lx = left
    for t in tools:
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>' % (lx, top + height + 45, COLOURS[t]))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 14, top + height + 54,
                                                        "testr (original)" if t == "original" else "testr-mini " + t))
        lx += 130
    out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#000" stroke-dasharray="3,2"/>'
               % (lx, lx + 18, top + height + 50, top + height + 50))
    out.append('<text x="%d" y="%d">target</text>' % (lx + 22, top + height + 54))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figures")
    parser.add_argument("out")
    parser.add_argument("--title", default="Adaptive scheduling: wall time / ideal (lower is better)")
    args = parser.parse_args()
    with open(args.figures) as f:
        figures = json.load(f)
    with open(args.out, "w") as f:
        f.write(draw(figures, args.title))


if __name__ == "__main__":
    main()
