"""Audit of the secret statistique by attack: recover suppressed cells from what is published.

Independent of the code that chose the suppression pattern
(:mod:`impact.indicators.disclosure`): this module reads only the published CSV tables and
learns the relations between their cells from the published numbers themselves, as an outside
reader would (Hundepool et al. 2012, *Statistical Disclosure Control*, §4.2.4 on the audit of
a suppression pattern; Eurostat 2017, *Handbook on SDC for Outputs*, ch. 4):

* **additivity** — for a subgroup variable and an indicator, when every fully published
  instance has its cells' ``n`` summing exactly to the ``all`` cell (or its ``n × estimate``,
  or its ``estimate``), the attacker assumes the same relation for the instances with blanks
  (as an equality, or as ``≤`` when the fully published sums fall short of the total);
* **distributions** — rows sharing a cell and an ``n`` whose estimates sum to 1 in every fully
  published instance: their numerators ``n × estimate`` sum to ``n``;
* **identities** — two rows of the same cell (programme, subgroup value, waves) whose ``n``
  (or numerator) are equal in every pair published with both: the same people, one unknown;
* **pooling** — a ``pooled`` row's ``n`` equal to the sum of the programmes' ``n``;
* **waves** — the pairs behind a change (``mean_change`` from wave *a* to *b*) are at most the
  respondents with a score at *a* and at *b* (``mean`` of the same measure and cell): ``≤``,
  assumed when no fully published instance contradicts it (Hundepool et al. 2012, §4.2.3 on
  linked tables across time);
* **bounds the rule gives away** — a published row has ``n ≥ 1``; a primary row with ``n``
  blank has ``n ≤ threshold − 1``; a secondary one ``n ≥ threshold``; a numerator is in
  ``0 … n``.

Every blank ``n`` and every blank additive total (numerator, ``n × mean``) is then bounded by
two linear programmes (``scipy.optimize.linprog``, HiGHS). A count is protected when its
interval is at least ``protection`` wide (or as wide as the rule's own range 1 … threshold − 1
for a primary count, which is all a reader can be kept from); a numerator when its interval
is at least ``min(min_numerator, n)`` wide (no more precise than a rate the rule publishes); a
mean total when its interval is not a point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

KEY = ["programme", "measure", "indicator", "subgroup", "subgroup_value", "wave_from",
       "wave_to"]
TOL = 1e-6


def read_published(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The published indicator tables, each row once (``pooled.csv`` repeats the others)."""
    frames = [pd.read_csv(p, keep_default_na=False, na_values=[""],
                          dtype={c: str for c in KEY + ["suppression", "unit"]})
              for p in paths]
    table = pd.concat(frames, ignore_index=True).drop_duplicates(KEY).reset_index(drop=True)
    table[KEY] = table[KEY].fillna("")  # a blank key is a value (single wave, `all` cell)
    table["suppressed"] = table["suppressed"].astype(str).str.lower().eq("true")
    return table


def read_fieldwork(path: str | Path) -> pd.DataFrame:
    """The published fieldwork table (respondents per site and wave, ``site_code = all`` the
    wave's total) as count cells of the indicator tables' shape: the same sites, so the
    attacker links them to the indicator tables' site cells and sums them to the total."""
    fw = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"site": str})
    total = fw["site_code"].astype(str).eq("all")
    return pd.DataFrame({
        "programme": fw["programme"].astype(str), "measure": "fieldwork",
        "indicator": "respondents", "subgroup": np.where(total, "all", "site"),
        "subgroup_value": fw["site"].where(~total, ""), "wave_from": fw["wave"].astype(str),
        "wave_to": "", "n": pd.to_numeric(fw["respondents"], errors="coerce"),
        "estimate": np.nan, "unit": "count", "suppression": fw["suppression"].astype(str),
        "suppressed": fw["suppression"].astype(str).ne("shown")})


class _Unknowns:
    """Union-find over row quantities: ``("n", row)`` and ``("t", row)``."""

    def __init__(self) -> None:
        self.parent: dict[tuple, tuple] = {}

    def find(self, q: tuple) -> tuple:
        self.parent.setdefault(q, q)
        while self.parent[q] != q:
            self.parent[q] = self.parent[self.parent[q]]
            q = self.parent[q]
        return q

    def union(self, a: tuple, b: tuple) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass
class Finding:
    """One suppressed quantity and the attacker's interval for it."""

    row: int
    quantity: str  # "n", "numerator" or "mean_total"
    status: str
    low: float
    high: float
    required: float

    @property
    def ok(self) -> bool:
        return self.high - self.low >= self.required - TOL


def _forms(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Candidate additive forms of each row: its ``n``, ``n × estimate`` and ``estimate``."""
    return {"n": table["n"], "nest": table["n"] * table["estimate"],
            "est": table["estimate"]}


def _learn_additive(table: pd.DataFrame) -> list[tuple[list[int], int, str, str]]:
    """(cells, total, form, sense) for each subgroup instance whose relation the data show."""
    forms = _forms(table)
    groups = []
    alls = table[table["subgroup"] == "all"]
    total_of = {k: i for i, k in zip(alls.index, map(tuple, alls[
        ["programme", "measure", "indicator", "wave_from", "wave_to"]].to_numpy()), strict=True)}
    parts = table[table["subgroup"] != "all"]
    keys = ["programme", "measure", "indicator", "wave_from", "wave_to", "subgroup"]
    for key, block in parts.groupby(keys, sort=False):
        head = total_of.get(key[:5])
        if head is not None:
            groups.append((key[5], key[2], list(block.index), head))
    verdict: dict[tuple, str] = {}
    for form, values in forms.items():
        evidence: dict[tuple, set[str]] = defaultdict(set)
        for subgroup, indicator, cells, head in groups:
            col = values.loc[cells + [head]]
            if col.isna().any():
                continue
            gap = col.loc[head] - col.loc[cells].sum()
            scale = max(1.0, float(col.abs().max()))
            evidence[subgroup, indicator].add(
                "=" if abs(gap) <= TOL * scale else "<=" if gap > 0 else "x")
        for k, seen in evidence.items():
            if "x" not in seen:
                verdict[(*k, form)] = "=" if seen == {"="} else "<="
    out = []
    for subgroup, indicator, cells, head in groups:
        for form in forms:
            sense = verdict.get((subgroup, indicator, form))
            if sense:
                out.append((cells, head, form, sense))
    return out


def _learn_distributions(table: pd.DataFrame) -> list[list[int]]:
    """Rows of one cell and one n whose estimates sum to 1 (in every full instance)."""
    keys = ["programme", "measure", "indicator", "subgroup", "wave_from", "wave_to"]
    blocks = [b for _, b in table[table["subgroup"] != "all"].groupby(keys, sort=False)]
    evidence: dict[tuple, set[bool]] = defaultdict(set)
    for b in blocks:
        if b[["n", "estimate"]].notna().all().all() and b["n"].nunique() == 1:
            evidence[b["indicator"].iloc[0], b["subgroup"].iloc[0]].add(
                abs(b["estimate"].sum() - 1) <= 1e-6)
    return [list(b.index) for b in blocks
            if evidence.get((b["indicator"].iloc[0], b["subgroup"].iloc[0])) == {True}]


def _learn_identities(table: pd.DataFrame, unknowns: _Unknowns) -> None:
    """Merge quantities that are equal in every pair of rows published with both (≥ 3 pairs).

    Within a cell (programme, subgroup value, waves), the ``n`` of two indicators, or the
    numerator of one and the estimate of another (a rate and its count of successes).
    """
    cell = ["programme", "subgroup", "subgroup_value", "wave_from", "wave_to"]
    forms = _forms(table)
    what = table["measure"] + "|" + table["indicator"]
    cells = pd.MultiIndex.from_frame(table[cell])
    codes_cell, _ = pd.factorize(cells)
    codes_what, labels = pd.factorize(what)
    rows = np.full((codes_cell.max() + 1, len(labels)), -1)
    rows[codes_cell, codes_what] = np.arange(len(table))
    present = rows >= 0
    for a_form, b_form in (("n", "n"), ("nest", "est"), ("nest", "nest"), ("est", "est")):
        a_vals = np.where(present, forms[a_form].to_numpy()[np.maximum(rows, 0)], np.nan)
        b_vals = np.where(present, forms[b_form].to_numpy()[np.maximum(rows, 0)], np.nan)
        for a in range(len(labels)):
            col = a_vals[:, a:a + 1]
            both = ~np.isnan(col) & ~np.isnan(b_vals)
            count = both.sum(axis=0)
            close = np.abs(col - b_vals) <= 1e-6 * np.maximum(1.0, np.abs(col))
            agree = (close | ~both).all(axis=0) & (count >= 3)
            if a_form == b_form:
                agree[: a + 1] = False
            for b in np.flatnonzero(agree):
                linked = present[:, a] & present[:, b]
                qa = "n" if a_form == "n" else "t"
                qb = "n" if b_form == "n" else "t"
                for ra, rb in zip(rows[linked, a], rows[linked, b], strict=True):
                    unknowns.union((qa, int(ra)), (qb, int(rb)))


def attack(table: pd.DataFrame, *, threshold: int, protection: float,
           min_numerator: int = 3) -> list[Finding]:
    """Bound every blank count and additive total of the published ``table``."""
    table = table.reset_index(drop=True)
    table = table.assign(_row=np.arange(len(table)))
    unknowns = _Unknowns()
    _learn_identities(table, unknowns)
    forms = _forms(table)
    proportion = table["unit"].eq("proportion") & table["estimate"].isna()

    def t_form(i: int) -> str:
        return "nest" if table.at[i, "unit"] != "count" or table.at[i, "indicator"] in (
            "mean", "pair_mean", "mean_change") else "est"

    value: dict[tuple, float] = {}
    for i in range(len(table)):
        if pd.notna(table.at[i, "n"]):
            value[unknowns.find(("n", i))] = float(table.at[i, "n"])
        for form in ("nest", "est"):
            if pd.notna(forms[form].iat[i]) and form == t_form(i):
                value[unknowns.find(("t", i))] = float(forms[form].iat[i])
    relations: list[tuple[dict[tuple, float], str]] = []

    def relate(terms: list[tuple[tuple, float]], sense: str) -> None:
        merged: dict[tuple, float] = defaultdict(float)
        for q, c in terms:
            merged[unknowns.find(q)] += c
        if any(q not in value for q in merged):
            relations.append((dict(merged), sense))

    for cells, head, form, sense in _learn_additive(table):
        q = "n" if form == "n" else "t"
        if q == "t" and any(t_form(i) != form for i in cells + [head]):
            continue
        relate([((q, i), 1.0) for i in cells] + [((q, head), -1.0)], sense)
    for rows in _learn_distributions(table):
        relate([(("t", i), 1.0) for i in rows] + [(("n", rows[0]), -1.0)], "=")
    _pooled(table, relate)
    for pair, wave in _learn_wave_orders(table):
        relate([(("n", pair), 1.0), (("n", wave), -1.0)], "<=")
    bounds: dict[tuple, list[float | None]] = {}
    for i in range(len(table)):
        status = str(table.at[i, "suppression"])
        n = unknowns.find(("n", i))
        low, high = bounds.setdefault(n, [1.0, None])
        if pd.isna(table.at[i, "n"]):
            if status == "primary":
                high = threshold - 1.0 if high is None else min(high, threshold - 1.0)
            elif status == "secondary":
                low = max(low, float(threshold))
        bounds[n] = [low, high]
        if proportion.iat[i] or table.at[i, "unit"] == "proportion":
            bounds.setdefault(unknowns.find(("t", i)), [0.0, None])
            relate([(("t", i), 1.0), (("n", i), -1.0)], "<=")
    findings = []
    for i in np.flatnonzero(table["suppressed"].to_numpy()):
        status = str(table.at[i, "suppression"])
        if pd.isna(table.at[i, "n"]):
            q = unknowns.find(("n", int(i)))
            if q not in value:
                low, high = _interval(q, value, bounds, relations)
                need = threshold - 2.0 if status == "primary" else np.inf
                findings.append(Finding(int(i), "n", status, low, high,
                                        min(protection, need)))
        t = unknowns.find(("t", int(i)))
        kind = "numerator" if table.at[i, "unit"] == "proportion" or table.at[
            i, "indicator"] == "successes" else "mean_total"
        if kind == "mean_total" and table.at[i, "indicator"] not in (
                "mean", "mean_pomp", "pair_mean", "mean_change", "mean_change_pomp"):
            continue
        low, high = (value[t], value[t]) if t in value else _interval(t, value, bounds,
                                                                      relations)
        if kind == "numerator":
            n_low = value.get(unknowns.find(("n", int(i))),
                              bounds[unknowns.find(("n", int(i)))][0])
            need = min(max(min_numerator, 1), n_low)
        else:
            need = TOL * max(1.0, abs(low), abs(high) if np.isfinite(high) else 1.0)
        findings.append(Finding(int(i), kind, status, low, high, need))
    return findings


def _pooled(table: pd.DataFrame, relate) -> None:
    """A pooled row's n against the programmes' n, where the published rows show it."""
    alls = table[table["subgroup"] == "all"]
    for i, row in alls[alls["programme"] == "pooled"].iterrows():
        same = alls[(alls["programme"] != "pooled") & (alls["measure"] == row["measure"])
                    & (alls["indicator"] == row["indicator"])
                    & (alls["wave_from"] == row["wave_from"])
                    & (alls["wave_to"] == row["wave_to"])]
        programmes = set(str(row.get("flag", "")).removeprefix("programmes=").split(","))
        same = same[same["programme"].isin(programmes)] if programmes - {""} else same
        if len(same):
            relate([(("n", int(j)), 1.0) for j in same.index] + [(("n", int(i)), -1.0)], "=")


#: A change is computed on the pairs of the respondents with a ``mean`` at both waves.
PAIR_INDICATOR, WAVE_INDICATOR = "mean_change", "mean"


def _learn_wave_orders(table: pd.DataFrame) -> list[tuple[int, int]]:
    """(pair row, wave row): n(pairs from a to b) ≤ n(respondents at a), and at b, in the same
    programme, measure and cell — unless a fully published instance contradicts it."""
    cell = ["programme", "measure", "subgroup", "subgroup_value"]
    single = table["wave_to"].fillna("").eq("")
    pairs = table[table["indicator"].eq(PAIR_INDICATOR) & ~single]
    waves = table[table["indicator"].eq(WAVE_INDICATOR) & single]
    at = {(*k, w): i for i, k, w in zip(waves.index, map(tuple, waves[cell].to_numpy()),
                                         waves["wave_from"], strict=True)}
    found, contradicted = [], set()
    for i, key, a, b in zip(pairs.index, map(tuple, pairs[cell].to_numpy()),
                            pairs["wave_from"], pairs["wave_to"], strict=True):
        for side, wave in (("from", a), ("to", b)):
            j = at.get((*key, wave))
            if j is None:
                continue
            n_pair, n_wave = table.at[i, "n"], table.at[j, "n"]
            if pd.notna(n_pair) and pd.notna(n_wave):
                if n_pair > n_wave + TOL:
                    contradicted.add(side)
            else:
                found.append((side, int(i), int(j)))
    return [(i, j) for side, i, j in found if side not in contradicted]


def _interval(q: tuple, value: dict, bounds: dict, relations: list) -> tuple[float, float]:
    """LP bounds of unknown ``q`` over its connected component of relations."""
    by_q: dict[tuple, list[int]] = defaultdict(list)
    for r, (terms, _) in enumerate(relations):
        for u in terms:
            if u not in value:
                by_q[u].append(r)
    todo, seen, used = [q], {q}, set()
    while todo:
        u = todo.pop()
        for r in by_q[u]:
            if r not in used:
                used.add(r)
                for w in relations[r][0]:
                    if w not in value and w not in seen:
                        seen.add(w)
                        todo.append(w)
    order = [q] + sorted(seen - {q})
    col = {u: j for j, u in enumerate(order)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for r in sorted(used):
        terms, sense = relations[r]
        line = np.zeros(len(order))
        rhs = 0.0
        for u, c in terms.items():
            if u in value:
                rhs -= c * value[u]
            else:
                line[col[u]] += c
        (a_eq if sense == "=" else a_ub).append(line)
        (b_eq if sense == "=" else b_ub).append(rhs)
    ends = []
    for sign in (1.0, -1.0):
        cost = np.zeros(len(order))
        cost[0] = sign
        res = linprog(cost, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                      A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                      bounds=[tuple(bounds.get(u, [None, None])) for u in order],
                      method="highs")
        ends.append(-sign * np.inf if res.status == 3 else sign * res.fun
                    if res.status == 0 else np.nan)
    return ends[0], ends[1]


def findings_frame(table: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """The findings with their row's key, one line per attacked quantity."""
    rows = []
    for f in findings:
        rows.append({**{k: table.at[f.row, k] for k in KEY}, "quantity": f.quantity,
                     "suppression": f.status, "low": f.low, "high": f.high,
                     "width": f.high - f.low, "required": f.required, "protected": f.ok})
    return pd.DataFrame(rows, columns=[*KEY, "quantity", "suppression", "low", "high",
                                       "width", "required", "protected"])


def summary(table: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Per programme and table: cells shown / primary / secondary, attacks, narrowest/widest."""
    family = table["indicator"].where(table["subgroup"] == "all",
                                      table["indicator"] + " × " + table["subgroup"])
    counts = (pd.DataFrame({"programme": table["programme"], "table": family,
                            "status": table["suppression"]})
              .value_counts().unstack("status", fill_value=0))
    for column in ("shown", "primary", "secondary"):
        if column not in counts:
            counts[column] = 0
    counts = counts[["shown", "primary", "secondary"]]
    if len(findings):
        fam = findings["indicator"].where(findings["subgroup"] == "all",
                                          findings["indicator"] + " × " + findings["subgroup"])
        attacked = findings.assign(table=fam).groupby(["programme", "table"]).agg(
            attacked=("width", "size"), failed=("protected", lambda s: int((~s).sum())),
            narrowest_count_interval=("width", lambda s: _finite_min(
                s[findings.loc[s.index, "quantity"] == "n"])),
            widest_count_interval=("width", lambda s: _finite_max(
                s[findings.loc[s.index, "quantity"] == "n"])))
        counts = counts.join(attacked, how="left")
    return counts.reset_index()


def _finite_min(s: pd.Series) -> float:
    s = s[np.isfinite(s)]
    return float(s.min()) if len(s) else np.nan


def _finite_max(s: pd.Series) -> float:
    s = s[np.isfinite(s)]
    return float(s.max()) if len(s) else np.nan
