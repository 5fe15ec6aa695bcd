"""Score rules for the lead sentence over the candidates ``scripts/lead_harvest.py`` wrote: per set, the
share of answerable questions (whose three read candidates hold an answer) led by an answering sentence;
the mean of the sets; and the weight chosen on four folds by passage, scored on the fifth."""

import json
import sys

import numpy as np

rows = [json.loads(l) for l in open(sys.argv[1])]


def lead(c, rule, a=0.0, b=0.0, n=3):
    read = [x for x in c[:n] if x[1] is not None]
    if rule == "score" or not read:
        return c[0]
    if rule == "current":
        best = max(read, key=lambda x: x[1])
        return best if best[1] > 0 else c[0]
    if rule == "margin":  # reader overrides scorer top only when its logit beats top's by a
        best = max(read, key=lambda x: x[1])
        top = c[0]
        return best if best[1] > 0 and best[1] - (top[1] if top[1] is not None else -10) > a else top
    if rule == "sum":
        return max(read, key=lambda x: x[0] + a * x[1])
    if rule == "sum_pos":
        best = max(read, key=lambda x: x[0] + a * x[1])
        return best


for s in ["seeds", "clapnq", "squad"]:
    qs = [r for r in rows if r["set"] == s and r["answerable"] and any(x[2] for x in r["c"][:3])]
    print(s, len(qs), "answerable with an answering top-3")
    for rule, ps in [
        ("score", [0]),
        ("current", [0]),
        ("margin", [0, 0.5, 1, 1.5, 2, 3]),
        ("sum", [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]),
    ]:
        for a in ps:
            hit = np.mean([lead(r["c"], rule, a)[2] for r in qs])
            print("   %-8s %.2f  %.3f" % (rule, a, hit))
print("macro")
import hashlib


def fold(g):
    return int(hashlib.sha256(g.encode()).hexdigest(), 16) % 5


Q = {
    s: [r for r in rows if r["set"] == s and r["answerable"] and any(x[2] for x in r["c"][:3])]
    for s in ["seeds", "clapnq", "squad"]
}
grid = [0.0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0]


def macro(a, keep):
    return np.mean([np.mean([lead(r["c"], "sum", a)[2] for r in qs if keep(r)]) for qs in Q.values()])


for a in grid:
    print(f"  sum {a:.2f} macro {macro(a, lambda r: True):.3f}")
print(
    "  current macro {:.3f}".format(
        np.mean([np.mean([lead(r["c"], "current")[2] for r in qs]) for qs in Q.values()])
    )
)
# CV: choose a on 4 folds, score the 5th
res = {s: [] for s in Q}
for k in range(5):
    a = max(grid, key=lambda a: macro(a, lambda r: fold(r["group"]) != k))
    print("  fold", k, "chose", a)
    for s, qs in Q.items():
        res[s] += [lead(r["c"], "sum", a)[2] for r in qs if fold(r["group"]) == k]
print("  cv", {s: round(float(np.mean(v)), 3) for s, v in res.items()})
