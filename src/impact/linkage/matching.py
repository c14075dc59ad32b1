"""Link the answers of one respondent across waves through their self-generated code.

Input: one row per kept survey answer (``row_id``, ``wave``, normalised ``code`` and its parts,
block columns such as ``site``, ``gender``, ``age``). Output: a decision per row and the
membership of every row in a *chain* (the answers of one presumed person).

Algorithm
---------
*Waves.* The first wave of ``wave_order`` is the **baseline**. Each later wave W is linked in
two stages:

1. **to the baseline**: every row of W is compared with the baseline rows;
2. **to the intermediate waves**, for the rows of W that had no candidate at all in stage 1:
   they are compared with the rows of the waves between the baseline and W (e.g. a
   ``followup`` row with ``post`` rows) whose chain has no W row yet and whose baseline row was
   not disputed in stage 1. A chain is one candidate however many of its rows are close (its
   closest row is used). This recovers respondents absent at baseline, and codes that drifted
   between waves, without ever attaching two rows of the same wave to one chain.

A link always points from a later row to an earlier one; a chain is anchored at its earliest
row, whose ``row_id`` is the ``person_key`` of every row of the chain.

*Candidates.* A source row and a target row are candidates only if they are in the same
**block** (same values of ``block_on``, e.g. the same site; missing block values form their
own block) and have a **compatible background**: same gender when both are known (values in
``gender_wildcards``, by default ``X`` « autre / ne souhaite pas répondre », count as
unknown), and ages differing by at most ``max_age_gap`` years when both are known (the
default 1 allows for a birthday between waves).

*Exact pass (tier 0).* Candidates with identical codes.

*Tolerant pass (tiers 1 … max_distance).* On the rows not settled by the exact pass, the
distance between two codes is the smallest of

* the optimal-string-alignment (restricted Damerau–Levenshtein) distance between the two
  codes: one substitution, insertion, deletion or swap of adjacent characters costs 1
  (``rapidfuzz.distance.OSA``);
* 1 + the same distance after exchanging two whole parts of the source code (mother ↔ town,
  mother ↔ month, month ↔ town): a swap of two parts costs one edit, like a transposition at
  the level of the parts. Parts are exchanged explicitly because mother and town are not
  adjacent in the code, so an edit distance on the tuple of parts would count their exchange
  as two substitutions.

Distances are computed block by block with ``rapidfuzz.process.cdist`` (vectorised, in C);
pairs further apart than ``max_distance`` are ignored.

*One-to-one rule, in each tier.* Consider the candidate pairs of the tier between rows still
free (not linked and not ambiguous). A pair is linked when the source row has exactly one
candidate in the tier and the target (row, or chain in stage 2) is the candidate of exactly
one source row. Every other party of the tier's pairs is **ambiguous**: not linked, excluded
from the following tiers of this stage, and listed with the rows it could be confused with.
This covers identical codes typed by two people of the same block ("twins"), a source row
with two or more equally close candidates, and a target claimed by two source rows. Tiers are
processed in increasing distance, so a closer candidate is always preferred to a farther one.

*Decisions.* ``exact`` and ``tolerant`` (linked to ``linked_row_id`` at ``distance``),
``ambiguous``, ``unmatched`` (a later-wave row with no candidate, or no code) and
``baseline_only`` (a baseline row no later row was linked to). Decisions describe a row's
link to *earlier* rows: a later-wave row that is the anchor of a chain (e.g. a ``post`` row
absent at baseline, to which a ``followup`` row is linked) stays ``unmatched``; the
``membership`` table shows the chain. A row that is linked keeps its link decision even if it
was also disputed as a target in another stage; the rows that disputed it list it in
``ambiguous_with``. A row disputed as a target and left unlinked is ``ambiguous``.

*Determinism.* Rows are sorted by wave and ``row_id`` before anything else and every rule is
a function of sets of pairs, so the output does not depend on the order of the input rows.

*Cost.* The exact pass is a hash join. The tolerant pass is quadratic in the number of rows
of a block left after the exact pass (source rows are processed in chunks to bound memory), and
linear in the number of blocks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

__all__ = ["DECISIONS", "LinkageResult", "link_waves", "linkage_quality"]

DECISIONS = ("exact", "tolerant", "ambiguous", "unmatched", "baseline_only")
CODE_PARTS = ("code_mother", "code_month", "code_town")
DECISION_COLUMNS = ["row_id", "wave", "linked_row_id", "linked_wave", "decision", "distance",
                    "n_candidates", "reason", "ambiguous_with"]
_CHUNK_CELLS = 4_000_000  # max source x target cells of one cdist call


@dataclass(frozen=True)
class LinkageResult:
    """Decisions (one row per later-wave row and per unlinked baseline row) and membership.

    ``decisions`` columns: ``row_id``, ``wave``, ``linked_row_id`` and ``linked_wave`` (the
    earlier row it is linked to, or NA), ``decision`` (one of :data:`DECISIONS`), ``distance``
    (0 for exact links; the distance of the disputed candidates for ambiguous rows),
    ``n_candidates`` (candidates at the deciding distance: 1 for a link, 0 when unmatched),
    ``reason`` (stable English code: ``several_candidates``, ``candidate_contested``,
    ``claimed_by_several``, ``claimant_ambiguous``, ``no_candidate``, ``missing_code``, or
    empty) and ``ambiguous_with`` (``"; "``-separated row ids of the other parties).

    ``membership`` has one row per input row: ``row_id``, ``wave``, ``person_key`` (the
    ``row_id`` of the chain's earliest row) and ``chain_size``.
    """

    decisions: pd.DataFrame
    membership: pd.DataFrame
    params: dict = field(default_factory=dict)


@dataclass
class _Ctx:
    row_id: np.ndarray  # object
    rank: np.ndarray  # wave rank
    block: np.ndarray  # int64 block id
    code: np.ndarray  # object, None when missing
    swapped: list[np.ndarray]  # codes with two parts exchanged (None when unavailable)
    gender: np.ndarray  # int64, -1 unknown
    age: np.ndarray  # float64, NaN unknown
    max_age_gap: float
    max_distance: int


def link_waves(rows: pd.DataFrame, *, wave_order: list[str],
               block_on: Sequence[str] = ("site",), max_age_gap: int = 1,
               max_distance: int = 1, parts: Sequence[str] = CODE_PARTS,
               gender_wildcards: Collection[str] = ("X",)) -> LinkageResult:
    """Link the rows of later waves to earlier ones; see the module docstring."""
    ctx, frame = _prepare(rows, list(wave_order), list(block_on), list(parts), max_age_gap,
                          max_distance, gender_wildcards)
    n = len(frame)
    link = np.full(n, -1, dtype=np.int64)  # node -> earlier node it is linked to
    decision = np.where(ctx.rank == 0, "baseline_only", "unmatched").astype(object)
    distance = np.full(n, np.nan)
    n_cand = np.zeros(n, dtype=np.int64)
    reason = np.where(pd.isna(ctx.code), "missing_code", "").astype(object)
    reason[(ctx.rank > 0) & (reason == "")] = "no_candidate"
    with_ = np.full(n, None, dtype=object)
    target_disputes: list[pd.DataFrame] = []
    has_code = ~pd.isna(ctx.code)

    for j in range(1, len(wave_order)):
        src = np.flatnonzero((ctx.rank == j) & has_code)
        tgt = np.flatnonzero((ctx.rank == 0) & has_code)
        stage1 = _match(ctx, src, tgt, tgt)
        _record(stage1, link, decision, distance, n_cand, reason, with_)
        target_disputes.append(stage1.target_disputes)
        if j < 2:
            continue
        anchor = chain_anchors(link)
        full = np.zeros(n, dtype=bool)  # chains that already hold a row of wave j
        full[anchor[ctx.rank == j][link[ctx.rank == j] >= 0]] = True
        full[stage1.target_disputes["t"].to_numpy(np.int64)] = True  # disputed baseline rows
        src2 = stage1.unmatched
        tgt2 = np.flatnonzero((ctx.rank > 0) & (ctx.rank < j) & has_code)
        tgt2 = tgt2[~full[anchor[tgt2]]]
        stage2 = _match(ctx, src2, tgt2, anchor[tgt2])
        _record(stage2, link, decision, distance, n_cand, reason, with_)
        target_disputes.append(stage2.target_disputes)

    _apply_target_disputes(target_disputes, link, decision, distance, n_cand, reason, with_,
                           ctx)
    anchor = chain_anchors(link)
    linked_to = np.zeros(n, dtype=bool)
    linked_to[link[link >= 0]] = True
    keep = (ctx.rank > 0) | ~linked_to
    waves = np.asarray(wave_order, dtype=object)
    has_link = link >= 0
    decisions = pd.DataFrame({
        "row_id": ctx.row_id[keep],
        "wave": waves[ctx.rank[keep]],
        "linked_row_id": np.where(has_link, ctx.row_id[link], None)[keep],
        "linked_wave": np.where(has_link, waves[ctx.rank[link]], None)[keep],
        "decision": decision[keep],
        "distance": distance[keep],
        "n_candidates": n_cand[keep],
        "reason": reason[keep],
        "ambiguous_with": with_[keep],
    })
    for column in ("row_id", "wave", "linked_row_id", "linked_wave", "decision", "reason",
                   "ambiguous_with"):
        decisions[column] = decisions[column].astype("str")
    decisions["distance"] = decisions["distance"].astype("Int64")
    decisions["n_candidates"] = decisions["n_candidates"].astype("Int64")
    decisions = decisions.reset_index(drop=True)
    decisions.attrs["wave_order"] = list(wave_order)

    size = np.bincount(anchor, minlength=n)
    membership = pd.DataFrame({
        "row_id": ctx.row_id,
        "wave": waves[ctx.rank],
        "person_key": ctx.row_id[anchor],
        "chain_size": size[anchor].astype("int64"),
    }).astype({"row_id": "str", "wave": "str", "person_key": "str"})
    params = {"wave_order": list(wave_order), "block_on": list(block_on),
              "max_age_gap": max_age_gap, "max_distance": max_distance,
              "gender_wildcards": sorted(gender_wildcards), "parts": list(parts)}
    return LinkageResult(decisions, membership, params)


# --------------------------------------------------------------------------------------------
# Preparation


def _prepare(rows: pd.DataFrame, wave_order: list[str], block_on: list[str], parts: list[str],
             max_age_gap: int, max_distance: int,
             gender_wildcards: Collection[str]) -> tuple[_Ctx, pd.DataFrame]:
    if not wave_order or len(set(wave_order)) != len(wave_order):
        raise ValueError(f"wave_order must list distinct waves, got {wave_order!r}")
    if max_distance < 0 or max_age_gap < 0:
        raise ValueError("max_distance and max_age_gap must be >= 0")
    needed = ["row_id", "wave", "code", *block_on]
    missing = [c for c in needed if c not in rows.columns]
    if missing:
        raise KeyError(f"link_waves: missing columns {', '.join(missing)}")
    if rows["row_id"].isna().any() or rows["row_id"].duplicated().any():
        raise ValueError("link_waves: row_id must be unique and not missing")
    unknown = sorted(set(rows["wave"].dropna().astype(str)) - set(wave_order))
    if unknown or rows["wave"].isna().any():
        raise ValueError(f"link_waves: waves not in wave_order {wave_order}: {unknown or 'NA'}")

    rank_of = {w: i for i, w in enumerate(wave_order)}
    frame = rows.assign(_rank=rows["wave"].astype(str).map(rank_of).astype("int64"),
                        _rid=rows["row_id"].astype(str))
    frame = frame.sort_values(["_rank", "_rid"], kind="stable").reset_index(drop=True)
    n = len(frame)

    if block_on:
        block = frame.groupby(block_on, dropna=False, sort=True).ngroup().to_numpy(np.int64)
    else:
        block = np.zeros(n, dtype=np.int64)

    code = _text_array(frame["code"])
    swapped: list[np.ndarray] = []
    if all(p in frame.columns for p in parts):
        texts = [frame[p].astype("str") for p in parts]
        for i, k in combinations(range(len(parts)), 2):
            order = list(range(len(parts)))
            order[i], order[k] = order[k], order[i]
            joined = texts[order[0]].str.cat([texts[m] for m in order[1:]], sep="", na_rep=None)
            arr = _text_array(joined)
            arr[pd.isna(code)] = None
            swapped.append(arr)

    if "gender" in frame.columns:
        gender = frame["gender"].astype("str")
        gender = gender.where(~gender.isin(list(gender_wildcards)))
        gcode = pd.factorize(gender, sort=True, use_na_sentinel=True)[0].astype(np.int64)
    else:
        gcode = np.full(n, -1, dtype=np.int64)
    if "age" in frame.columns:
        age = pd.to_numeric(frame["age"], errors="coerce").astype("float64").to_numpy()
    else:
        age = np.full(n, np.nan)

    ctx = _Ctx(row_id=frame["_rid"].to_numpy(dtype=object),
               rank=frame["_rank"].to_numpy(np.int64), block=block, code=code,
               swapped=swapped, gender=gcode, age=age, max_age_gap=float(max_age_gap),
               max_distance=int(max_distance))
    return ctx, frame


def _text_array(values: pd.Series) -> np.ndarray:
    """Object array of str, ``None`` for missing or empty values."""
    arr = values.astype("str").to_numpy(dtype=object, na_value=None)
    arr[arr == ""] = None
    return arr


def chain_anchors(link: np.ndarray) -> np.ndarray:
    """Earliest row of each node's chain (links always point to earlier waves)."""
    anchor = np.arange(len(link))
    while True:
        parent = link[anchor]
        step = parent >= 0
        if not step.any():
            return anchor
        anchor = np.where(step, parent, anchor)


def _compatible(ctx: _Ctx, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Background compatibility of source rows ``s`` and target rows ``t`` (broadcasting)."""
    gs, gt = ctx.gender[s], ctx.gender[t]
    ok = (gs < 0) | (gt < 0) | (gs == gt)
    with np.errstate(invalid="ignore"):
        gap = np.abs(ctx.age[s] - ctx.age[t])
    return ok & ~(gap > ctx.max_age_gap)  # NaN gap (an age unknown) is compatible


# --------------------------------------------------------------------------------------------
# Matching one set of source rows against one set of targets


@dataclass
class _Match:
    links: pd.DataFrame  # s, t, d, n, tier
    ambiguous: pd.DataFrame  # s, d, n, reason, with
    target_disputes: pd.DataFrame  # t, d, reason, with
    unmatched: np.ndarray  # source nodes without any candidate


_EDGE_COLUMNS = ["s", "g", "t", "d"]


def _match(ctx: _Ctx, src: np.ndarray, tgt: np.ndarray, group: np.ndarray) -> _Match:
    """Exact pass then tolerant tiers; ``group[i]`` is the one-to-one unit of ``tgt[i]``."""
    n = len(ctx.rank)
    used_s = np.zeros(n, dtype=bool)
    used_g = np.zeros(n, dtype=bool)
    seen_s = np.zeros(n, dtype=bool)  # had at least one candidate
    group_of = np.full(n, -1, dtype=np.int64)
    group_of[tgt] = group
    results: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = []

    exact = _exact_edges(ctx, src, tgt, group_of)
    results.append(_resolve(ctx, exact, used_s, used_g, seen_s))
    if ctx.max_distance >= 1:
        rest_s = src[~used_s[src]]
        rest_t = tgt[~used_g[group]]
        tolerant = _tolerant_edges(ctx, rest_s, rest_t, group_of)
        for k in range(1, ctx.max_distance + 1):
            edges = tolerant[tolerant["d"].to_numpy() == k]
            free = ~used_s[edges["s"].to_numpy()] & ~used_g[edges["g"].to_numpy()]
            results.append(_resolve(ctx, edges[free], used_s, used_g, seen_s))

    links = pd.concat([r[0] for r in results], ignore_index=True)
    ambiguous = pd.concat([r[1] for r in results], ignore_index=True)
    disputes = pd.concat([r[2] for r in results], ignore_index=True)
    unmatched = src[~seen_s[src]]
    return _Match(links, ambiguous, disputes, unmatched)


def _exact_edges(ctx: _Ctx, src: np.ndarray, tgt: np.ndarray,
                 group_of: np.ndarray) -> pd.DataFrame:
    left = pd.DataFrame({"s": src, "block": ctx.block[src], "code": ctx.code[src]})
    right = pd.DataFrame({"t": tgt, "block": ctx.block[tgt], "code": ctx.code[tgt]})
    edges = left.merge(right, on=["block", "code"], how="inner")
    s, t = edges["s"].to_numpy(np.int64), edges["t"].to_numpy(np.int64)
    ok = _compatible(ctx, s, t)
    return _collapse(ctx, pd.DataFrame({"s": s[ok], "g": group_of[t[ok]], "t": t[ok],
                                        "d": np.zeros(int(ok.sum()), dtype=np.int64)}))


def _tolerant_edges(ctx: _Ctx, src: np.ndarray, tgt: np.ndarray,
                    group_of: np.ndarray) -> pd.DataFrame:
    """Candidate pairs at distance 1..max_distance, block by block with ``cdist``."""
    empty = pd.DataFrame({c: np.array([], dtype=np.int64) for c in _EDGE_COLUMNS})
    if not len(src) or not len(tgt):
        return empty
    src = src[np.argsort(ctx.block[src], kind="stable")]
    tgt = tgt[np.argsort(ctx.block[tgt], kind="stable")]
    sb, tb = ctx.block[src], ctx.block[tgt]
    common = np.intersect1d(sb, tb)
    s_lo, s_hi = np.searchsorted(sb, common, "left"), np.searchsorted(sb, common, "right")
    t_lo, t_hi = np.searchsorted(tb, common, "left"), np.searchsorted(tb, common, "right")
    max_d = ctx.max_distance
    found_s, found_t, found_d = [], [], []
    for a, b, c, e in zip(s_lo, s_hi, t_lo, t_hi, strict=True):
        t_nodes = tgt[c:e]
        choices = list(ctx.code[t_nodes])
        step = max(1, _CHUNK_CELLS // len(t_nodes))
        for lo in range(a, b, step):
            s_nodes = src[lo:min(b, lo + step)]
            dist = cdist(list(ctx.code[s_nodes]), choices, scorer=OSA.distance,
                         score_cutoff=max_d, dtype=np.int32, workers=1)
            for variant in ctx.swapped:
                queries = variant[s_nodes]
                valid = ~pd.isna(queries)
                if not valid.any():
                    continue
                alt = cdist([q if q is not None else "" for q in queries], choices,
                            scorer=OSA.distance, score_cutoff=max_d - 1, dtype=np.int32,
                            workers=1) + 1
                alt[~valid] = max_d + 1
                np.minimum(dist, alt, out=dist)
            ii, jj = np.nonzero(dist <= max_d)
            if not len(ii):
                continue
            s_hit, t_hit = s_nodes[ii], t_nodes[jj]
            ok = _compatible(ctx, s_hit, t_hit)
            found_s.append(s_hit[ok])
            found_t.append(t_hit[ok])
            found_d.append(dist[ii[ok], jj[ok]].astype(np.int64))
    if not found_s:
        return empty
    s = np.concatenate(found_s)
    t = np.concatenate(found_t)
    return _collapse(ctx, pd.DataFrame({"s": s, "g": group_of[t], "t": t,
                                        "d": np.concatenate(found_d)}))


def _collapse(ctx: _Ctx, edges: pd.DataFrame) -> pd.DataFrame:
    """One edge per (source, group): the closest target row, then the latest wave, then the
    smallest row id (nodes are sorted by wave then row id)."""
    if edges.empty:
        return edges.reset_index(drop=True)
    edges = edges.assign(_r=-ctx.rank[edges["t"].to_numpy()])
    edges = edges.sort_values(["s", "g", "d", "_r", "t"], kind="stable")
    edges = edges.drop_duplicates(["s", "g"]).drop(columns="_r")
    return edges.reset_index(drop=True)


def _resolve(ctx: _Ctx, edges: pd.DataFrame, used_s: np.ndarray, used_g: np.ndarray,
             seen_s: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Apply the one-to-one rule to the candidate pairs of one tier; update the used sets."""
    s = edges["s"].to_numpy(np.int64)
    g = edges["g"].to_numpy(np.int64)
    deg_s = np.bincount(s, minlength=len(used_s))[s] if len(s) else s
    deg_g = np.bincount(g, minlength=len(used_g))[g] if len(g) else g
    ok = (deg_s == 1) & (deg_g == 1)
    seen_s[s] = True
    used_s[s] = True
    used_g[g] = True
    edges = edges.assign(deg_s=deg_s, deg_g=deg_g, rid_s=ctx.row_id[s],
                         rid_t=ctx.row_id[edges["t"].to_numpy(np.int64)])
    links = edges.loc[ok, ["s", "t", "d"]].assign(n=1)
    bad = edges.loc[~ok]
    if bad.empty:
        return links, _empty(["s", "d", "n"], ["reason", "with"]), _empty(["t", "d"],
                                                                          ["reason", "with"])
    by_s = bad.sort_values("rid_t").groupby("s", sort=True)
    ambiguous = pd.DataFrame({
        "d": by_s["d"].min(),
        "n": by_s["deg_s"].first(),
        "reason": np.where(by_s["deg_s"].first() >= 2, "several_candidates",
                           "candidate_contested"),
        "with": by_s["rid_t"].agg("; ".join),
    }).reset_index()
    by_t = bad.sort_values("rid_s").groupby("t", sort=True)
    disputes = pd.DataFrame({
        "d": by_t["d"].min(),
        "reason": np.where(by_t["deg_g"].max() >= 2, "claimed_by_several",
                           "claimant_ambiguous"),
        "with": by_t["rid_s"].agg("; ".join),
    }).reset_index()
    return links, ambiguous, disputes


def _empty(ints: list[str], texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({**{c: np.array([], dtype=np.int64) for c in ints},
                         **{c: np.array([], dtype=object) for c in texts}})


def _record(match: _Match, link, decision, distance, n_cand, reason, with_) -> None:
    """Write the source-side outcome of one stage into the per-node arrays."""
    s = match.links["s"].to_numpy(np.int64)
    d = match.links["d"].to_numpy(np.int64)
    link[s] = match.links["t"].to_numpy(np.int64)
    decision[s] = np.where(d == 0, "exact", "tolerant")
    distance[s] = d
    n_cand[s] = 1
    reason[s] = ""
    a = match.ambiguous["s"].to_numpy(np.int64)
    decision[a] = "ambiguous"
    distance[a] = match.ambiguous["d"].to_numpy(np.float64)
    n_cand[a] = match.ambiguous["n"].to_numpy(np.int64)
    reason[a] = match.ambiguous["reason"].to_numpy(dtype=object)
    with_[a] = match.ambiguous["with"].to_numpy(dtype=object)


def _apply_target_disputes(disputes: list[pd.DataFrame], link, decision, distance, n_cand,
                           reason, with_, ctx: _Ctx) -> None:
    """Rows disputed as targets and left without any link become ``ambiguous``."""
    frames = [d for d in disputes if not d.empty]
    if not frames:
        return
    table = pd.concat(frames, ignore_index=True)
    linked_to = np.zeros(len(link), dtype=bool)
    linked_to[link[link >= 0]] = True
    t = table["t"].to_numpy(np.int64)
    open_ = (link[t] < 0) & ~linked_to[t] & (decision[t] != "ambiguous")
    table = table.loc[open_]
    if table.empty:
        return
    table = table.assign(rank=np.where(table["reason"] == "claimed_by_several", 0, 1))
    grouped = table.sort_values(["t", "rank"]).groupby("t", sort=True)
    claimants = grouped["with"].agg(lambda w: "; ".join(sorted(set("; ".join(w).split("; ")))))
    nodes = claimants.index.to_numpy(np.int64)
    decision[nodes] = "ambiguous"
    distance[nodes] = grouped["d"].min().to_numpy(np.float64)
    n_cand[nodes] = claimants.str.count("; ").to_numpy(np.int64) + 1
    reason[nodes] = grouped["reason"].first().to_numpy(dtype=object)
    with_[nodes] = claimants.to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------
# Quality


def linkage_quality(decisions: pd.DataFrame, truth: pd.Series | None = None, *,
                    wave_order: list[str] | None = None) -> pd.DataFrame:
    """Linkage summary per pair of waves, plus an ``all`` row.

    Per pair (``wave_from`` earlier, ``wave_to`` later):

    * ``n_from``, ``n_to``: rows of each wave;
    * ``links``, ``exact``, ``tolerant``: direct links from ``wave_to`` rows to ``wave_from``
      rows; ``ambiguous_to``: rows of ``wave_to`` left ambiguous (counted on the pairs with the
      baseline);
    * ``match_rate`` = links / n_to (share of the later wave's rows linked to that earlier
      wave); ``tolerant_share`` = tolerant / links;
    * ``pairs_made``: pairs (one row of each wave) placed in the same chain, directly or
      through an intermediate wave.

    The ``all`` row sums over every pair of waves; its ``n_from`` is the number of rows,
    ``n_to`` the number of later-wave rows, ``links`` all direct links, ``ambiguous_to`` all
    ambiguous rows (baseline rows included) and ``match_rate`` the share of later-wave rows
    linked to an earlier row.

    With ``truth`` (``row_id`` -> true person id), a *link* is any pair of rows of different
    waves put in the same chain, and a *true pair* any pair of rows of different waves with
    the same true person. ``true_pairs_made`` counts links that are true pairs;
    ``precision`` = true_pairs_made / pairs_made; ``recall`` = true_pairs_made / true_pairs
    (true pairs present among the rows of ``decisions``, including those the linkage could
    not make, e.g. rows without a code). Pairs of rows of the same wave are never linked and
    are not counted. Rows absent from ``truth`` count as distinct people.
    """
    order = list(wave_order or decisions.attrs.get("wave_order") or [])
    rows = _rows_from_decisions(decisions)
    if not order:
        order = list(dict.fromkeys([*rows.sort_values("wave")["wave"]]))
    rank = {w: i for i, w in enumerate(order)}
    rows = rows.assign(rank=rows["wave"].map(rank))
    link = pd.Index(rows["row_id"]).get_indexer(rows["linked_row_id"]).astype(np.int64)
    rows["chain"] = chain_anchors(link)
    if truth is not None:
        person = rows["row_id"].map(truth)
        missing = person.isna()
        rows["person"] = person.astype(object).where(~missing, "__row__" + rows["row_id"])
    counter = _PairCounter(rows, truth is not None)
    later = decisions
    later_rows = int((rows["rank"] > 0).sum())
    out = []
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            direct = later[(later["wave"] == b) & (later["linked_wave"] == a)]
            n_to = int((rows["wave"] == b).sum())
            rec = {
                "wave_from": a, "wave_to": b,
                "n_from": int((rows["wave"] == a).sum()), "n_to": n_to,
                "links": len(direct),
                "exact": int((direct["decision"] == "exact").sum()),
                "tolerant": int((direct["decision"] == "tolerant").sum()),
                "ambiguous_to": int(((later["wave"] == b) & (later["decision"] == "ambiguous")
                                     ).sum()) if i == 0 else pd.NA,
            }
            rec.update(counter([(a, b)]))
            out.append(rec)
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1:]]
    linked = decisions["decision"].isin(["exact", "tolerant"])
    total = {
        "wave_from": "all", "wave_to": "all", "n_from": len(rows), "n_to": later_rows,
        "links": int(linked.sum()),
        "exact": int((decisions["decision"] == "exact").sum()),
        "tolerant": int((decisions["decision"] == "tolerant").sum()),
        "ambiguous_to": int((decisions["decision"] == "ambiguous").sum()),
    }
    total.update(counter(pairs))
    out.append(total)
    table = pd.DataFrame(out)
    table["match_rate"] = table["links"] / table["n_to"].where(table["n_to"] > 0)
    table["tolerant_share"] = table["tolerant"] / table["links"].where(table["links"] > 0)
    if truth is not None:
        table["precision"] = table["true_pairs_made"] / table["pairs_made"].where(
            table["pairs_made"] > 0)
        table["recall"] = table["true_pairs_made"] / table["true_pairs"].where(
            table["true_pairs"] > 0)
    table["ambiguous_to"] = table["ambiguous_to"].astype("Int64")
    return table


def _rows_from_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """Every row involved: the rows of ``decisions`` and the baseline rows they link to."""
    listed = decisions[["row_id", "wave", "linked_row_id"]]
    targets = decisions.loc[decisions["linked_row_id"].notna(), ["linked_row_id", "linked_wave"]]
    targets = targets.rename(columns={"linked_row_id": "row_id", "linked_wave": "wave"})
    listed_ids = pd.Index(listed["row_id"].to_numpy(dtype=object))
    targets = targets[listed_ids.get_indexer(targets["row_id"].to_numpy(dtype=object)) < 0]
    targets = targets.drop_duplicates("row_id")
    targets = targets.assign(linked_row_id=pd.Series(pd.NA, index=targets.index, dtype="str"))
    rows = pd.concat([listed, targets], ignore_index=True)
    return rows.sort_values("row_id", kind="stable").reset_index(drop=True)


class _PairCounter:
    """Cross-wave pairs in the same chain (and, with truth, true and correctly made pairs)."""

    def __init__(self, rows: pd.DataFrame, with_truth: bool) -> None:
        keys = {"pairs_made": ["chain"]}
        if with_truth:
            keys.update(true_pairs=["person"], true_pairs_made=["chain", "person"])
        self.sizes = {name: rows.groupby([*k, "wave"], sort=False).size()
                      .unstack("wave", fill_value=0) for name, k in keys.items()}

    def __call__(self, pairs: list[tuple[str, str]]) -> dict:
        return {name: sum(int((sizes[a] * sizes[b]).sum()) for a, b in pairs
                          if a in sizes and b in sizes)
                for name, sizes in self.sizes.items()}
