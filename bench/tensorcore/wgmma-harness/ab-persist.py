#!/usr/bin/env python3
"""Compares two ./h persist logs (build A, build B) cell by cell: the median, min and max change of B's time against A's per kernel
mode (window, twin), then each persistent window configuration (session 27). Usage: ab-persist.py A.log B.log"""
import re
import sys


def times(path):
    found = {}
    for line in open(path):
        m = re.match(r'persist\s+(\d+x\s*\d+) M=\s*(\d+) BN=\s*(\d+) splits (\d+) (tma-\w+)\s+(\S+?)\s*: (\S+) ms', line)
        if m:
            found[m.groups()[:6]] = float(m.group(7))
    return found


a, b = times(sys.argv[1]), times(sys.argv[2])
rows = [(100 * (b[k] - a[k]) / a[k], k, a[k], b[k]) for k in a if k in b]
for kind in ('tma-win', 'tma-bf16'):
    changes = sorted(r[0] for r in rows if r[1][4] == kind)
    if changes:
        print(f'{kind}: {len(changes)} configurations, median {changes[len(changes) // 2]:+.1f}%, min {changes[0]:+.1f}%, max {changes[-1]:+.1f}%')
for change, k, ta, tb in rows:
    if k[4] == 'tma-win' and k[5] == 'persistent':
        print(f'{k[0]} M={k[1]} BN={k[2]} x{k[3]}: {ta:.4f} -> {tb:.4f} ms ({change:+.1f}%)')
