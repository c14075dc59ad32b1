"""Disclosure control of the whole publication: primary and secondary cell suppression.

Rule (secret statistique; Hundepool et al. 2012, *Statistical Disclosure Control*, ch. 4;
Eurostat 2017, *Handbook on Statistical Disclosure Control for Outputs*; INSEE, *Guide du
secret statistique*, 2018):

* **primary suppression** — a row whose ``n`` is below ``analysis.disclosure_threshold`` is
  blanked entirely (its count singles people out); a proportion of people (``RATES``) or a
  count of successes (``COUNTS``) whose numerator or complement ``n − numerator`` is below
  ``analysis.disclosure.min_numerator`` has its estimate blanked (a 0 % or 100 % rate on 12
  people discloses each of them) — its ``n`` stays published, it is not the secret;
* **secondary (complementary) suppression** — the published tables are linked by additive
  relations an outside reader can exploit: subgroup cells sum to the ``all`` cell (``n``;
  ``n × mean`` for means; numerators for rates and success counts), a response distribution's
  numerators sum to its ``n``, the pooled ``n`` is the sum of the programmes'. The same
  quantity published in several rows (the same people behind several indicators, a rate and its
  ``successes`` count) is one variable, suppressed everywhere or nowhere. For each suppressed
  quantity the attacker's feasible interval is computed by linear programming (the LP
  relaxation of the τ-Argus audit, Hundepool et al. 2012 §4.2.4, with the bounds the rule gives
  away: a primary count is 1 … threshold − 1, a secondary one is ≥ threshold, a numerator lies
  in 0 … n). While a count's interval is narrower than ``analysis.disclosure.protection_interval``
  (capped at the a-priori range: a primary count cannot be protected beyond 1 … threshold − 1),
  or a numerator's narrower than ``min_numerator`` (knowing k within 3 of 12 says no more than
  the publishable rate 3 / 12),
  one more quantity of a relation holding it is suppressed — the smallest (fewest people),
  a subgroup cell before a total — and the intervals are computed again (the « hypercube »
  idea of completing every relation, driven by the LP audit; Giessing & Repsilber 2002).
  Means need only not to be recovered exactly (their interval is not a point).

The pattern is decided on the true values before anything is written; the independent audit
(:mod:`impact.report.disclosure_audit`) re-attacks the written files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

#: Subgroup variables whose cells partition the ``all`` cell.
ADDITIVE = ("gender", "audience", "site", "group", "age_band", "education",
            "unemployment_band")
#: Proportions of people: numerator = n × estimate.
RATES = frozenset({"rate", "rate_best_case", "rate_worst_case", "response_rate",
                   "share_positive", "share_response", "situation_share",
                   "switch_to_positive", "switch_from_positive", "attrition_overall",
                   "attrition_group"})
#: Counts of people among n: the estimate is the numerator.
COUNTS = frozenset({"successes"})
#: Means of a score: n × estimate is additive.
MEANS = frozenset({"mean", "mean_pomp", "pair_mean", "mean_change", "mean_change_pomp"})
#: Distributions: the numerators of the values of ``subgroup`` sum to n.
DISTRIBUTIONS = ("response",)

SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"
#: Counts published elsewhere whatever this stage decides — the respondents of a wave are the
#: kept rows of its export in the row accounting (and the fieldwork table): hiding them as a
#: complement would protect nothing, so they are never chosen.
PUBLIC = (("sample", "respondents", "all"),)
EPS = 1e-6


@dataclass(frozen=True)
class Settings:
    """The rule's parameters (``analysis.disclosure_threshold`` and ``analysis.disclosure``)."""

    threshold: int = 10
    min_numerator: int = 3
    protection_interval: float = 8.0

    @classmethod
    def from_analysis(cls, analysis: dict) -> Settings:
        extra = analysis.get("disclosure") or {}
        threshold = int(analysis["disclosure_threshold"])
        return cls(threshold=threshold,
                   min_numerator=int(extra.get("min_numerator", 3)),
                   protection_interval=float(extra.get("protection_interval",
                                                       max(threshold - 2, 1))))


@dataclass
class _Vars:
    """Quantities (counts ``n`` and additive totals ``t``) and the rows that publish them."""

    value: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)  # "n", "count" (0 ≤ t ≤ n), "mean"
    rows: list[list[int]] = field(default_factory=list)
    index: dict[tuple, int] = field(default_factory=dict)

    def get(self, key: tuple, value: float, kind: str, row: int) -> int:
        if key not in self.index:
            self.index[key] = len(self.value)
            self.value.append(float(value))
            self.kind.append(kind)
            self.rows.append([])
        v = self.index[key]
        self.rows[v].append(row)
        return v


def _population(subgroup: str, value: str) -> tuple[str, str]:
    return (subgroup, value) if subgroup in ADDITIVE else ("all", "")


def _total(row: pd.Series) -> tuple[float, str] | None:
    """The additive total behind a row's estimate (numerator or n × mean), and its kind."""
    if pd.isna(row["n"]) or pd.isna(row["estimate"]):
        return None
    if row["indicator"] in RATES and row["unit"] == "proportion":
        return round(float(row["n"] * row["estimate"]), 6), "count"
    if row["indicator"] in COUNTS:
        return float(row["estimate"]), "count"
    if row["indicator"] in MEANS:
        return float(row["n"] * row["estimate"]), "mean"
    return None


def _variables(table: pd.DataFrame) -> tuple[_Vars, np.ndarray, np.ndarray]:
    """One variable per distinct published quantity; rows → (n variable, total variable)."""
    qs = _Vars()
    nvar = np.full(len(table), -1)
    tvar = np.full(len(table), -1)
    for i, row in enumerate(table.to_dict("records")):
        cell = (row["programme"], *_population(row["subgroup"], row["subgroup_value"]),
                row["wave_from"], row["wave_to"])
        if pd.notna(row["n"]):
            nvar[i] = qs.get(("n", *cell, float(row["n"])), row["n"], "n", i)
        total = _total(pd.Series(row))
        if total is not None:
            t, kind = total
            # equal totals of one cell are one quantity, whatever the measure: e.g. the
            # people in an industry job, numerator of two rates with different denominators
            tvar[i] = qs.get(("t", *cell, row["subgroup"], row["subgroup_value"], kind,
                              round(t, 6)), t, kind, i)
    return qs, nvar, tvar


#: Σ coef·x (sense) 0, sense "=", "<=" or NEAR: « ≤ on the true values (some respondents
#: have no value of the subgroup variable) but a reader who saw the cells add up elsewhere
#: will assume = »; the pattern must resist that reader too, so NEAR is solved as = (a
#: stricter programme), and as ≤ only when = is infeasible with the bounds.
Relation = tuple[dict[int, float], str]
NEAR = "~"


def _add(relations: list[Relation], terms: dict[int, float], values: list[float],
         nonnegative: bool = True) -> None:
    """Add Σ terms = 0 when it holds on the true values, NEAR when the cells fall short of
    the total (counts; for totals n × mean, any gap: a reader may still assume =)."""
    terms = {v: c for v, c in terms.items() if c != 0}
    if len(terms) < 2:
        return
    level = sum(c * values[v] for v, c in terms.items())
    scale = max(1.0, *(abs(values[v]) for v in terms))
    if abs(level) <= EPS * scale:
        relations.append((terms, "="))
    elif level < 0 or not nonnegative:  # a partial sum of counts stays below the total
        relations.append((terms, NEAR))


def _relations(table: pd.DataFrame, qs: _Vars, nvar: np.ndarray,
               tvar: np.ndarray) -> list[Relation]:
    """The additive relations between published quantities (see the module docstring)."""
    relations: list[Relation] = []
    frame = table.assign(_nv=nvar, _tv=tvar)
    keys = ["programme", "measure", "indicator", "wave_from", "wave_to"]
    for _, block in frame.groupby(keys, sort=False):
        total = block[block["subgroup"] == "all"]
        for subgroup, cells in block.groupby("subgroup", sort=False):
            if subgroup in ADDITIVE and len(total) == 1:
                for column in ("_nv", "_tv"):
                    head = int(total[column].iloc[0])
                    parts = [int(v) for v in cells[column] if v >= 0]
                    if head >= 0 and len(parts) == len(cells):
                        terms: dict[int, float] = defaultdict(float)
                        for v in parts:
                            terms[v] += 1.0
                        terms[head] -= 1.0
                        _add(relations, dict(terms), qs.value,
                             column == "_nv" or qs.kind[head] == "count")
            if subgroup in DISTRIBUTIONS:
                ns = {int(v) for v in cells["_nv"] if v >= 0}
                parts = [int(v) for v in cells["_tv"] if v >= 0]
                if len(ns) == 1 and len(parts) == len(cells):
                    terms = defaultdict(float)
                    for v in parts:
                        terms[v] += 1.0
                    terms[ns.pop()] -= 1.0
                    _add(relations, dict(terms), qs.value)
    # pooled n = Σ programmes' n (same measure, indicator, waves, `all` cells)
    alls = frame[frame["subgroup"] == "all"]
    pooled = alls[alls["programme"] == "pooled"]
    for _, row in pooled.iterrows():
        same = alls[(alls["programme"] != "pooled") & (alls["measure"] == row["measure"])
                    & (alls["indicator"] == row["indicator"])
                    & (alls["wave_from"] == row["wave_from"])
                    & (alls["wave_to"] == row["wave_to"]) & (alls["_nv"] >= 0)]
        if row["_nv"] >= 0 and len(same):
            terms = defaultdict(float)
            for v in same["_nv"]:
                terms[int(v)] += 1.0
            terms[int(row["_nv"])] -= 1.0
            _add(relations, dict(terms), qs.value)
    relations += _wave_orders(frame, qs.value)
    # a numerator lies between 0 and its n
    for i in np.flatnonzero(tvar >= 0):
        if qs.kind[tvar[i]] == "count" and nvar[i] >= 0:
            relations.append(({int(tvar[i]): 1.0, int(nvar[i]): -1.0}, "<="))
    unique = {(tuple(sorted(t.items())), s): (t, s) for t, s in relations}
    return list(unique.values())


#: A change is computed on the pairs of respondents with a ``mean`` at both of its waves.
PAIR_INDICATOR, WAVE_INDICATOR = "mean_change", "mean"


def _wave_orders(frame: pd.DataFrame, values: list[float]) -> list[Relation]:
    """n(pairs from wave a to b) ≤ n(respondents at a) and ≤ n(at b), same programme,
    measure and cell, where it holds on the true values (a reader knows what a pair is)."""
    cell = ["programme", "measure", "subgroup", "subgroup_value"]
    single = frame["wave_to"].fillna("").eq("")
    waves = frame[frame["indicator"].eq(WAVE_INDICATOR) & single & (frame["_nv"] >= 0)]
    at = {(*k, w): int(v) for k, w, v in zip(map(tuple, waves[cell].to_numpy()),
                                             waves["wave_from"], waves["_nv"], strict=True)}
    pairs = frame[frame["indicator"].eq(PAIR_INDICATOR) & ~single & (frame["_nv"] >= 0)]
    out: list[Relation] = []
    for key, a, b, v in zip(map(tuple, pairs[cell].to_numpy()), pairs["wave_from"],
                            pairs["wave_to"], pairs["_nv"], strict=True):
        for wave in (a, b):
            w = at.get((*key, wave))
            if w is not None and w != v and values[int(v)] <= values[w] + EPS:
                out.append(({int(v): 1.0, w: -1.0}, "<="))
    return out


def components(hidden: np.ndarray, relations: list[Relation],
               by_var: dict[int, list[int]]) -> list[tuple[list[int], list[int]]]:
    """Hidden quantities linked by relations: (quantities, relations) of each component."""
    seen: set[int] = set()
    out = []
    for start in np.flatnonzero(hidden):
        start = int(start)
        if start in seen:
            continue
        seen.add(start)
        members, todo, used = [start], [start], set()
        while todo:
            u = todo.pop()
            for r in by_var[u]:
                if r in used:
                    continue
                used.add(r)
                for w in relations[r][0]:
                    if hidden[w] and w not in seen:
                        seen.add(w)
                        members.append(w)
                        todo.append(w)
        out.append((sorted(members), sorted(used)))
    return out


def intervals(members: list[int], used: list[int], hidden: np.ndarray, values: list[float],
              bounds: list[tuple], relations: list[Relation],
              wanted: set[int] | None = None) -> dict[int, tuple[float, float]]:
    """Smallest and largest value of the hidden quantities of one component (``wanted`` of
    them only, if given).

    Shown quantities are constants; hidden ones are LP variables within ``bounds``; two linear
    programmes (HiGHS) per quantity. An unbounded side is infinite.
    """
    if all(bounds[u] == (None, None) for u in members) and all(
            relations[r][1] in ("=", NEAR) for r in used):
        return _free_intervals(members, used, hidden, values, relations)
    out = _lp_intervals(members, used, hidden, values, bounds, relations, wanted, near="=")
    if out is None:  # the reader's « = » contradicts the bounds: he must fall back on ≤
        out = _lp_intervals(members, used, hidden, values, bounds, relations, wanted,
                            near="<=")
    return out or {}


def _lp_intervals(members: list[int], used: list[int], hidden: np.ndarray,
                  values: list[float], bounds: list[tuple], relations: list[Relation],
                  wanted: set[int] | None, near: str) -> dict[int, tuple[float, float]] | None:
    """The two LPs per wanted quantity, NEAR relations read as ``near``; None if infeasible."""
    col = {u: j for j, u in enumerate(members)}
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for r in used:
        terms, sense = relations[r]
        sense = near if sense == NEAR else sense
        line = np.zeros(len(members))
        rhs = 0.0
        for u, c in terms.items():
            if hidden[u]:
                line[col[u]] += c
            else:
                rhs -= c * values[u]
        (a_eq if sense == "=" else a_ub).append(line)
        (b_eq if sense == "=" else b_ub).append(rhs)
    matrices = dict(A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                    A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                    bounds=[bounds[u] for u in members], method="highs")
    out = {}
    for v in members:
        if wanted is not None and v not in wanted:
            continue
        ends = []
        for sign in (1.0, -1.0):
            cost = np.zeros(len(members))
            cost[col[v]] = sign
            res = linprog(cost, **matrices)
            if res.status == 3:  # unbounded
                ends.append(-sign * np.inf)
            elif res.status == 2:
                if near == "=":
                    return None
                ends.append(values[v])  # infeasible: be pessimistic, the value is known
            elif res.status != 0:
                ends.append(values[v])  # solver trouble: be pessimistic, the value is known
            else:
                ends.append(sign * res.fun)
        out[v] = (ends[0], ends[1])
    return out


def _free_intervals(members: list[int], used: list[int], hidden: np.ndarray,
                    values: list[float], relations: list[Relation]
                    ) -> dict[int, tuple[float, float]]:
    """Unbounded quantities under equalities only (totals n × mean): a quantity is recovered
    exactly when its unit vector lies in the row space of the equations (its entry in every
    null-space vector is zero), and is otherwise free over the whole line."""
    if not used:
        return {u: (-np.inf, np.inf) for u in members}
    col = {u: j for j, u in enumerate(members)}
    matrix = np.zeros((len(used), len(members)))
    for i, r in enumerate(used):
        for u, c in relations[r][0].items():
            if hidden[u]:
                matrix[i, col[u]] += c
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
    null = vt[rank:].T  # columns span the null space
    out = {}
    for u in members:
        if null.shape[1] and np.abs(null[col[u]]).max() > 1e-9:
            out[u] = (-np.inf, np.inf)
        else:
            out[u] = (values[u], values[u])
    return out


def _bounds(qs: _Vars, level: list[str], settings: Settings) -> list[tuple]:
    """What the rule itself gives away about each quantity (its a-priori range)."""
    out = []
    for v, kind in enumerate(qs.kind):
        if kind == "n":
            out.append((1.0, settings.threshold - 1.0) if level[v] == PRIMARY
                       else (float(settings.threshold), None) if level[v] == SECONDARY
                       else (1.0, None))
        elif kind == "count":
            out.append((0.0, None))
        else:
            out.append((None, None))
    return out


def _required(v: int, qs: _Vars, bounds: list[tuple], settings: Settings,
              count_of: dict[int, int]) -> float:
    if qs.kind[v] == "mean":
        return EPS * max(1.0, abs(qs.value[v]))
    low, high = bounds[v]
    if qs.kind[v] == "count" and v in count_of:
        high = qs.value[count_of[v]]
    width = np.inf if high is None else high - (low or 0.0)
    if qs.kind[v] == "count":
        # a numerator known within min_numerator tells no more than a publishable rate
        # (k = min_numerator of n is shown): that is its protection
        return min(max(settings.min_numerator, 1), width)
    return min(settings.protection_interval, width)


def protect(table: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.Series]:
    """Decide which cells are shown; return the blanked table and each row's status.

    The returned table has ``suppressed`` true where the estimate is blanked, every number
    blanked where the count is suppressed, and the estimate and its interval, tests and
    effect sizes (not ``n``) blanked where only a numerator or total is. The status series
    (``shown`` / ``primary`` / ``secondary``) is aligned on the table's index.
    """
    table = table.reset_index(drop=True)
    qs, nvar, tvar = _variables(table)
    relations = _relations(table, qs, nvar, tvar)
    n_of = {int(t): int(n) for t, n in zip(tvar, nvar, strict=True) if t >= 0 and n >= 0}
    count_of = {t: n for t, n in n_of.items() if qs.kind[t] == "count"}
    hidden = np.zeros(len(qs.value), dtype=bool)
    level = [SHOWN] * len(qs.value)
    public = np.zeros(len(qs.value), dtype=bool)
    for key in PUBLIC:
        rows = (table[["measure", "indicator", "subgroup"]] == key).all(axis=1).to_numpy()
        public[nvar[rows & (nvar >= 0)]] = True
    spread = True  # what equals a public count is public too (a sole group = the total)
    while spread:
        spread = False
        for terms, sense in relations:
            if sense == "=" and len(terms) == 2 and sorted(terms.values()) == [-1.0, 1.0]:
                a, b = terms
                if public[a] != public[b]:
                    public[a] = public[b] = spread = True
    tvars_of_n: dict[int, set[int]] = defaultdict(set)
    for n, t in zip(nvar, tvar, strict=True):
        if n >= 0 and t >= 0:
            tvars_of_n[int(n)].add(int(t))

    def hide(v: int, why: str) -> None:
        if hidden[v]:
            return
        hidden[v] = True
        level[v] = why
        if qs.kind[v] == "n":
            for t in tvars_of_n[v]:
                if not hidden[t]:
                    hidden[t] = True
                    level[t] = why

    def people(u: int) -> float:
        """Cost of suppressing quantity u: the respondents behind it."""
        return qs.value[u] if qs.kind[u] == "n" else qs.value[n_of[u]] if u in n_of else 0.0

    for v, kind in enumerate(qs.kind):
        if kind == "n" and qs.value[v] < settings.threshold:
            hide(v, PRIMARY)
    for v, kind in enumerate(qs.kind):
        if kind == "count" and v in count_of and not hidden[v]:
            k, n = round(qs.value[v]), qs.value[count_of[v]]
            if k < settings.min_numerator or n - k < settings.min_numerator:
                hide(v, PRIMARY)
    by_var: dict[int, list[int]] = defaultdict(list)
    for r, (terms, _) in enumerate(relations):
        for u in terms:
            by_var[u].append(r)
    totals = {u for terms, sense in relations if sense in ("=", NEAR)
              for u, c in terms.items() if c < 0}
    # a lone hidden quantity in an equation is recovered exactly, whatever the bounds: complete
    # every equation first (cheap), then let the LP find what the equations still give away
    changed = True
    while changed:
        changed = False
        for terms, sense in relations:
            alone = [u for u in terms if hidden[u]]
            if sense not in ("=", NEAR) or len(alone) != 1:
                continue
            free = [u for u in terms if not hidden[u] and not public[u]]
            candidates = {u for u in free if qs.kind[u] == qs.kind[alone[0]]} or set(free)
            if candidates:  # else the LP below says what the public counts give away
                hide(min(candidates, key=lambda u: (u in totals, people(u), u)), SECONDARY)
                changed = True
    # Hiding one more quantity only relaxes the attacker's programme (a constant becomes a
    # variable whose bounds hold its true value): intervals only widen, so a quantity found
    # protected stays protected and is not solved again.
    protected: set[int] = set()
    for _ in range(10 * len(qs.value) + 1):
        bounds = _bounds(qs, level, settings)
        failing = []
        for members, used in components(hidden, relations, by_var):
            wanted = set(members) - protected
            if not wanted:
                continue
            found = intervals(members, used, hidden, qs.value, bounds, relations, wanted)
            for v, (low, high) in found.items():
                if high - low < _required(v, qs, bounds, settings, count_of) - EPS:
                    failing.append(v)
                else:
                    protected.add(v)
        if not failing:
            break
        before = int(hidden.sum())
        touched: set[int] = set()
        for v in failing:
            if touched.intersection(by_var[v]):
                continue  # a relation of v changed this round: look again next round
            candidates = {u for r in by_var[v] for u in relations[r][0]
                          if not hidden[u] and not public[u] and qs.kind[u] == qs.kind[v]}
            if not candidates:
                candidates = {u for r in by_var[v] for u in relations[r][0]
                              if not hidden[u] and not public[u]}
            if candidates:
                chosen = min(candidates, key=lambda u: (u in totals, people(u), u))
                hide(chosen, SECONDARY)
                touched.update(by_var[chosen])
                if qs.kind[chosen] == "n":
                    for t in tvars_of_n[chosen]:
                        touched.update(by_var[t])
        if int(hidden.sum()) == before:  # every relation of the failing cells is hidden
            break
    else:  # pragma: no cover - every round hides at least one more quantity
        raise RuntimeError("secondary suppression did not converge")
    return _apply(table, nvar, tvar, hidden, level)


BLANK_ESTIMATE = ["estimate", "ci_low", "ci_high", "effect_size", "statistic", "df",
                  "p_value", "p_adjusted"]


def _apply(table: pd.DataFrame, nvar: np.ndarray, tvar: np.ndarray, hidden: np.ndarray,
           level: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    out = table.copy()
    blank_n = np.array([n >= 0 and hidden[n] for n in nvar], dtype=bool)
    blank_t = np.array([t >= 0 and hidden[t] for t in tvar], dtype=bool)
    # the status of a row whose n is blank is the status of its n (a primary blank n is
    # below the threshold, a secondary one is not: readers may rely on it)
    status = [level[nvar[i]] if blank_n[i] else level[tvar[i]] if blank_t[i] else SHOWN
              for i in range(len(out))]
    out.loc[blank_n, ["n", *BLANK_ESTIMATE]] = np.nan
    out.loc[blank_t, BLANK_ESTIMATE] = np.nan
    out["suppressed"] = out["suppressed"] | blank_n | blank_t
    return out, pd.Series(status, index=out.index, name="suppression")


def summary(table: pd.DataFrame, status: pd.Series) -> pd.DataFrame:
    """Cells shown / suppressed primarily / secondarily, per programme and measure family."""
    family = table["indicator"].where(table["subgroup"] == "all", table["subgroup"])
    frame = pd.DataFrame({"programme": table["programme"], "table": family,
                          "status": status})
    counts = frame.value_counts().unstack("status", fill_value=0)
    for column in (SHOWN, PRIMARY, SECONDARY):
        if column not in counts:
            counts[column] = 0
    return counts[[SHOWN, PRIMARY, SECONDARY]].reset_index()
