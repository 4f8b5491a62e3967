#!/usr/bin/env python3
"""Plot bench/soak.sh's CSV as one SVG: a small chart per measure against
the minute, each with its own scale starting at zero, so a slope (a leak,
a growing WAL, a creeping p99) shows at a glance. Standard library only.

Usage: bench/soak_plot.py <soak.csv> <out.svg>
"""
import csv
import sys

PANELS = [
    ("rps", "requests/s"),
    ("p99_ms", "p99 (ms)"),
    ("rss_mib", "RSS (MiB)"),
    ("open_files", "open files"),
    ("wal_mib", "WAL (MiB)"),
    ("db_mib", "database (MiB)"),
]
W, H, PAD, COLS = 300, 150, 36, 3


def panel(rows, key, title, x0, y0):
    points = [(int(r["minute"]), float(r[key])) for r in rows if r[key] != ""]
    top = max([v for _, v in points] + [1e-9]) * 1.15
    last = max([m for m, _ in points] + [1])
    def xy(m, v):
        return (x0 + PAD + (W - PAD - 8) * m / last, y0 + H - 20 - (H - 40) * v / top)
    out = [f'<rect x="{x0}" y="{y0}" width="{W}" height="{H}" fill="none" stroke="#ccc"/>',
           f'<text x="{x0 + 8}" y="{y0 + 14}" font-size="12">{title}</text>',
           f'<text x="{x0 + 4}" y="{y0 + 30}" font-size="9" fill="#666">{top:.4g}</text>',
           f'<text x="{x0 + 4}" y="{y0 + H - 20}" font-size="9" fill="#666">0</text>',
           f'<text x="{x0 + W - 40}" y="{y0 + H - 6}" font-size="9" fill="#666">min {last}</text>']
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(m, v) for m, v in points))
        out.append(f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="1.5"/>')
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{sys.argv[1]}: no rows")
    n_rows = (len(PANELS) + COLS - 1) // COLS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{COLS * W}" height="{n_rows * H}" '
             'font-family="sans-serif">', '<rect width="100%" height="100%" fill="white"/>']
    for i, (key, title) in enumerate(PANELS):
        parts += panel(rows, key, title, (i % COLS) * W, (i // COLS) * H)
    parts.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
