"""Logistic models of the insertion outcomes on baseline covariates: average marginal effects
with cluster-robust delta-method CIs, odds ratios, and the guards (events per variable,
separation, few clusters) that decide whether a model is published.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from impact.indicators.insertion.definitions import (
    BACKGROUND_CONTINUOUS,
    BACKGROUND_FACTORS,
    OUTCOMES,
    InsertionSettings,
)

FEW_CLUSTERS = 30  # below this, cluster-robust SEs are fragile (Cameron & Miller 2015)
EVENTS_PER_VARIABLE = 10  # Peduzzi et al. (1996)
SEPARATION_EPS = 1e-6  # fitted probabilities closer than this to 0 or 1: quasi-separation

# ---------------------------------------------------------------------------------------------
# logistic models and average marginal effects


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _design(frame: pd.DataFrame, continuous: list[str], factors: list[str],
            min_level: int) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, str]]:
    """Design matrix: constant, non-constant continuous columns, dummies against the mode.

    Returns the matrix, the dummies of each factor and each factor's reference level. Levels
    with fewer than ``min_level`` respondents are pooled with the reference; a column that is
    a linear combination of the columns before it is dropped (listed in
    ``X.attrs["collinear_dropped"]``).
    """
    columns = {"const": np.ones(len(frame))}
    for c in continuous:
        values = frame[c].astype(float).to_numpy()
        if np.nanstd(values) > 0:
            columns[c] = values
    dummies: dict[str, list[str]] = {}
    references: dict[str, str] = {}
    for f in factors:
        values = frame[f].astype(str)
        counts = values.value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        reference = counts.index[0]
        levels = [lvl for lvl, k in counts.items() if lvl != reference and k >= min_level]
        if not levels:
            continue
        references[f] = reference
        dummies[f] = []
        for level in sorted(levels):
            name = f"{f}={level}"
            columns[name] = (values == level).to_numpy(dtype=float)
            dummies[f].append(name)
    X = pd.DataFrame(columns, index=frame.index)
    # drop columns that are linear combinations of earlier ones (e.g. a dummy equal to another)
    kept: list[str] = []
    for column in X.columns:
        trial = kept + [column]
        if np.linalg.matrix_rank(X[trial].to_numpy()) == len(trial):
            kept.append(column)
    dropped = [c for c in X.columns if c not in kept]
    if dropped:
        X = X[kept]
        dummies = {f: [d for d in ds if d in kept] for f, ds in dummies.items()}
        dummies = {f: ds for f, ds in dummies.items() if ds}
        references = {f: r for f, r in references.items() if f in dummies}
    X.attrs["collinear_dropped"] = dropped
    return X, dummies, references


@dataclass
class LogitFit:
    params: pd.Series
    cov: pd.DataFrame
    n: int
    events: int
    clusters: int
    df: float  # degrees of freedom of the t reference (G - 1), NaN for the normal
    result: object  # the statsmodels results object


def fit_logit(y: pd.Series | np.ndarray, X: pd.DataFrame,
              groups: pd.Series | np.ndarray | None = None) -> LogitFit:
    """Binomial GLM (logit), cluster-robust by ``groups`` (≥ 2 groups), HC1 otherwise.

    Raises ``ValueError`` with the reason (the ``flag`` of ``model_skipped``):
    ``perfect_separation`` (statsmodels' check), ``quasi_separation`` (a fitted probability
    within ``SEPARATION_EPS`` of 0 or 1: some coefficient is drifting to infinity, its SE is
    meaningless), ``fit_failed`` (no convergence, or a covariance matrix that is not positive
    semi-definite).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    y = np.asarray(y, dtype=float)
    codes = None if groups is None else pd.factorize(np.asarray(groups))[0]
    clusters = 0 if codes is None else int(codes.max() + 1)
    model = sm.GLM(y, X, family=sm.families.Binomial())
    kwargs = (dict(cov_type="cluster", cov_kwds={"groups": codes}) if clusters >= 2
              else dict(cov_type="HC1"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = model.fit(**kwargs)
        except (PerfectSeparationError, PerfectSeparationWarning) as exc:
            raise ValueError("perfect_separation") from exc
    params = pd.Series(np.asarray(result.params), index=X.columns)
    cov = pd.DataFrame(np.asarray(result.cov_params()), index=X.columns, columns=X.columns)
    fitted = np.asarray(result.fittedvalues)
    if np.any(fitted < SEPARATION_EPS) or np.any(fitted > 1 - SEPARATION_EPS):
        raise ValueError("quasi_separation")
    matrix = cov.to_numpy()
    if not np.all(np.isfinite(matrix)) or not getattr(result, "converged", True):
        raise ValueError("fit_failed")
    eig = np.linalg.eigvalsh((matrix + matrix.T) / 2)
    if eig.min() < -1e-8 * max(abs(eig).max(), 1e-300):
        raise ValueError("fit_failed")
    return LogitFit(params=params, cov=cov, n=len(y), events=int(y.sum()),
                    clusters=clusters, df=float(clusters - 1) if clusters >= 2 else np.nan,
                    result=result)


def average_marginal_effects(params: pd.Series, cov: pd.DataFrame, X: pd.DataFrame,
                             factors: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """AMEs (probability scale) of every non-constant column of ``X`` with delta-method SEs.

    ``factors`` maps a factor to its dummy columns: each dummy's AME is the mean of
    p(dummy = 1) − p(all dummies of the factor = 0), i.e. level versus reference. Any other
    column is treated as continuous (AME = mean of β_j p(1 − p)). Returns a frame indexed by
    term with ``ame``, ``se`` and ``kind`` (``derivative`` or ``discrete_change``).
    """
    factors = factors or {}
    beta = params.reindex(X.columns).to_numpy(dtype=float)
    V = cov.reindex(index=X.columns, columns=X.columns).to_numpy(dtype=float)
    A = X.to_numpy(dtype=float)
    n = len(A)
    owner = {d: f for f, ds in factors.items() for d in ds}
    p = _expit(A @ beta)
    dens = p * (1 - p)
    out = []
    for j, term in enumerate(X.columns):
        if term == "const":
            continue
        if term in owner:
            zero = A.copy()
            zero[:, [X.columns.get_loc(d) for d in factors[owner[term]]]] = 0.0
            one = zero.copy()
            one[:, j] = 1.0
            p0, p1 = _expit(zero @ beta), _expit(one @ beta)
            ame = float(np.mean(p1 - p0))
            grad = (one.T @ (p1 * (1 - p1)) - zero.T @ (p0 * (1 - p0))) / n
            kind = "discrete_change"
        else:
            ame = float(np.mean(beta[j] * dens))
            grad = beta[j] * (A.T @ (dens * (1 - 2 * p))) / n
            grad[j] += np.mean(dens)
            kind = "derivative"
        se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
        out.append(dict(term=term, ame=ame, se=se, kind=kind))
    return pd.DataFrame(out, columns=["term", "ame", "se", "kind"]).set_index("term")


def _inference(estimate, se, df, alpha):
    """z/t statistic, two-sided p and CI half-width (t with ``df`` unless NaN)."""
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = estimate / se
    if np.isfinite(df):
        p = 2 * stats.t.sf(np.abs(stat), df)
        crit = stats.t.ppf(1 - alpha / 2, df)
    else:
        p = 2 * stats.norm.sf(np.abs(stat))
        crit = stats.norm.ppf(1 - alpha / 2)
    return stat, p, crit * se


def _model_flags(fit: LogitFit, k: int) -> list[str]:
    flags = ["not_causal"]
    if fit.clusters < 2:
        flags.append("no_clustering")
    elif fit.clusters < FEW_CLUSTERS:
        flags.append("few_clusters")
    if min(fit.events, fit.n - fit.events) / max(k, 1) < EVENTS_PER_VARIABLE:
        flags.append("low_events_per_variable")
    return flags


def events_per_parameter(events: int, n: int, parameters: int) -> float:
    """min(events, non-events) / estimated parameters besides the constant (Peduzzi 1996)."""
    return min(events, n - events) / max(parameters, 1)


def model_rows(cohort: pd.DataFrame, settings: InsertionSettings, alpha: float, head: dict,
               scales: list[str]) -> list[dict]:
    """Background model per outcome, and one exploratory attitude-change model per scale."""
    continuous = [c for c in BACKGROUND_CONTINUOUS if c in cohort]
    factors = [c for c in BACKGROUND_FACTORS if c in cohort]
    base_scales = [s for s in scales if f"{s}_base" in cohort
                   and cohort[f"{s}_base"].notna().any()]
    change_scales = [s for s in base_scales if f"{s}_change" in cohort
                     and cohort[f"{s}_change"].notna().any()]
    models = [("background", [f"{s}_base" for s in base_scales], None)]
    models += [(f"change_{s}", [f"{s}_base", f"{s}_change"], f"{s}_change")
               for s in change_scales]
    baseline = head["wave_from"]
    rows: list[dict] = []
    for outcome in OUTCOMES:
        for name, extra, focus in models:
            rows += _one_model(cohort, outcome, name, continuous + extra, factors, focus,
                               settings, alpha, head, baseline)
    return rows


def _term_label(term: str, baseline: str) -> str:
    return term[:-5] + f"_{baseline}" if term.endswith("_base") else term


def _one_model(cohort, outcome, name, continuous, factors, focus, settings, alpha, head,
               baseline) -> list[dict]:
    used = [outcome, *continuous, *factors]
    if "site" in cohort:
        used.append("site")
    data = cohort[used].dropna()
    row = dict(head, measure=outcome, subgroup="model", subgroup_value=name)
    events = int(data[outcome].sum())
    reason = None
    if len(data) < settings.min_model_respondents:
        reason = "too_few_respondents"
    elif events < settings.min_model_events:
        reason = "too_few_events"
    elif len(data) - events < settings.min_model_events:
        reason = "too_few_nonevents"
    X, dummies, refs = (None, {}, {}) if reason else _design(
        data, continuous, factors, settings.min_level_count)
    if reason is None and (X.shape[1] < 2 or (focus is not None and focus not in X)):
        reason = "no_covariates"
    if reason is None and X.shape[1] >= len(data):
        reason = "too_few_respondents"
    if reason is None and events_per_parameter(events, len(data), X.shape[1] - 1) \
            < settings.min_events_per_parameter:
        # an unpenalised logit with few events per parameter is unstable and, on small
        # groups, close to describing individuals: not published (secret statistique)
        reason = "too_few_events_per_parameter"
    fit = None
    if reason is None:
        try:
            fit = fit_logit(data[outcome], X, data["site"] if "site" in data else None)
        except ValueError as exc:
            reason = str(exc)
        except np.linalg.LinAlgError:
            reason = "fit_failed"
    if reason is not None:
        return [dict(row, indicator="model_skipped", n=len(data), estimate=events,
                     unit="count", method="glm_binomial_logit", flag=reason)]
    flags = _model_flags(fit, X.shape[1])
    if X.attrs.get("collinear_dropped"):
        flags.append("collinear_dropped")
    method = "glm_binomial_logit_cluster" if fit.clusters >= 2 else "glm_binomial_logit_hc1"
    rows = [dict(row, indicator="model_events", n=fit.n, estimate=fit.events, unit="count",
                 df=fit.df, method=method, flag=";".join(flags))]
    ame = average_marginal_effects(fit.params, fit.cov, X, dummies)
    if focus is not None:
        ame = ame.loc[[focus]]
        flags = [*flags, "exploratory"]
    stat, p, half = _inference(ame["ame"], ame["se"], fit.df, alpha)
    owner = {d: f for f, ds in dummies.items() for d in ds}
    cov_row = dict(head, measure=outcome, subgroup="covariate", n=fit.n, df=fit.df)
    for i, term in enumerate(ame.index):
        term_flags = list(flags)
        if term in owner:
            term_flags.append(f"reference={refs[owner[term]]}")
        rows.append(dict(cov_row, subgroup_value=_term_label(term, baseline),
                         indicator="ame" if focus is None else "ame_attitude_change",
                         estimate=100 * ame["ame"].iloc[i],
                         ci_low=100 * (ame["ame"].iloc[i] - half[i]),
                         ci_high=100 * (ame["ame"].iloc[i] + half[i]), statistic=stat[i],
                         p_value=p[i], unit="percentage_points",
                         method=f"{method}_ame_delta", flag=";".join(term_flags)))
    if focus is None:
        se = np.sqrt(np.diag(fit.cov.to_numpy()))
        stat, p, half = _inference(fit.params.to_numpy(), se, fit.df, alpha)
        for i, term in enumerate(X.columns):
            if term == "const":
                continue
            b = fit.params.iloc[i]
            term_flags = list(flags)
            if term in owner:
                term_flags.append(f"reference={refs[owner[term]]}")
            rows.append(dict(cov_row, subgroup_value=_term_label(term, baseline),
                             indicator="odds_ratio", estimate=np.exp(b),
                             ci_low=np.exp(b - half[i]), ci_high=np.exp(b + half[i]),
                             effect_size=np.exp(b), es_type="odds_ratio", statistic=stat[i],
                             p_value=p[i], unit="odds_ratio", method=method,
                             flag=";".join(term_flags)))
    return rows


