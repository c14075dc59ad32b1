"""Report figures: built from small tidy frames, suppressed values not drawn, same bytes twice."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from scipy import stats

from impact.report import figures as F
from impact.report.figure_style import NEUTRAL_GREY, FrenchFormatter
from impact.report.formatting import MINUS, NBSP, NNBSP, SECRET
from impact.report.i18n import use_language
from impact.report.typography import typeset


def _forest() -> pd.DataFrame:
    return pd.DataFrame({
        "programme": ["cordee", "cordee", "semaines_apprenantes", "semaines_apprenantes"],
        "measure": ["Image de l'industrie", "Connaissance des métiers",
                    "Image de l'industrie", "Sentiment d'efficacité"],
        "effect_size": [0.42, -0.12, 0.35, 0.93],
        "ci_low": [0.30, -0.25, 0.10, 0.51],
        "ci_high": [0.54, 0.01, 0.60, 1.37],
        "es_type": "g_av",
        "suppressed": [False, False, False, True],
    })


def _likert(k: int = 4) -> pd.DataFrame:
    rows = []
    dists = {
        ("Item A", "pre"): [0.1, 0.2, 0.3, 0.25, 0.15][:k],
        ("Item A", "post"): [0.05, 0.15, 0.3, 0.3, 0.2][:k],
        ("Item B", "pre"): [0.2, 0.2, 0.2, 0.2, 0.2][:k],
        ("Item B", "post"): [0.1, 0.1, 0.2, 0.3, 0.3][:k],
    }
    for (item, wave), shares in dists.items():
        total = sum(shares)
        for code, s in enumerate(shares, 1):
            rows.append((item, wave, code, s / total, 40 if item == "Item A" else 7,
                         item == "Item B" and wave == "post"))
    return pd.DataFrame(rows, columns=["item", "wave", "response", "share", "n", "suppressed"])


def _flow() -> pd.DataFrame:
    return pd.DataFrame(
        [("cordee", "read", "", 1234), ("cordee", "excluded", "réponse de test", 12),
         ("cordee", "excluded", "consentement refusé", 30),
         ("cordee", "quarantined", "réponse trop rapide", 25),
         ("cordee", "quarantined", "doublon de code", 5),
         ("cordee", "kept", "", 1162), ("cordee", "linked", "", 402),
         ("cordee", "analysed", "", 398),
         ("semaines_apprenantes", "read", "", 230),
         ("semaines_apprenantes", "quarantined", "incomplète", 7)],
        columns=["programme", "stage", "reason", "n"])


def _survival() -> pd.DataFrame:
    t = np.arange(0, 7)
    est = 0.1 + 0.08 * t
    return pd.DataFrame({
        "time": t, "estimate": est, "ci_low": est - 0.1, "ci_high": est + 0.1,
        "at_risk": 120 - 10 * t, "suppressed": t >= 5,
    })


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _plotted_x(ax) -> np.ndarray:
    xs = [line.get_xdata() for line in ax.lines if isinstance(line, Line2D)]
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            xs += [seg[:, 0] for seg in coll.get_segments()]
    return np.concatenate([np.asarray(x, dtype=float).ravel() for x in xs])


# ------------------------------------------------------------------ axis formatter


def test_french_formatter():
    f = FrenchFormatter()
    assert f.format_ticks([0, 0.25, 0.5]) == ["0,00", "0,25", "0,50"]
    assert f.format_ticks([-0.5, 0, 0.5]) == [f"{MINUS}0,5", "0,0", "0,5"]
    assert f.format_ticks([0, 1000, 2000]) == ["0", f"1{NNBSP}000", f"2{NNBSP}000"]
    pct = FrenchFormatter(percent=True, absolute=True)
    assert pct.format_ticks([-0.5, 0, 0.25]) == [f"50{NBSP}%", f"0{NBSP}%", f"25{NBSP}%"]
    assert FrenchFormatter(decimals=1)(0.25) == "0,3"


# ------------------------------------------------------------------ forest plot


def test_forest_plot_builds_and_hides_suppressed_rows():
    fig, alt = F.forest_plot(_forest())
    assert isinstance(fig, Figure) and isinstance(alt, str) and len(alt) > 50
    ax = fig.axes[0]
    x = _plotted_x(ax)
    for v in (0.42, -0.12, 0.35, 0.30, 0.54):
        assert np.isclose(x, v).any()
    for v in (0.93, 0.51, 1.37):  # the suppressed row's values are nowhere on the plot
        assert not np.isclose(x, v).any()
    assert SECRET in _texts(fig)
    assert fig.impact_secret is True
    # zero line, French tick labels, labels of every row (suppressed included)
    assert any(np.allclose(line.get_xdata(), 0) for line in ax.lines)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Sentiment d'efficacité" in labels and "cordee" in labels
    ticks = ax.xaxis.get_major_formatter().format_ticks(ax.get_xticks())
    assert any("," in t for t in ticks) and not any("." in t for t in ticks)
    # the alt text has the values in French, never the suppressed ones
    assert "0,42" in alt and "0,93" not in alt and "1,37" not in alt


def test_forest_plot_needs_its_columns():
    with pytest.raises(KeyError):
        F.forest_plot(_forest().drop(columns="ci_low"))


# ------------------------------------------------------------------ Likert


def _bars(ax) -> dict[float, list[Rectangle]]:
    out: dict[float, list[Rectangle]] = {}
    for p in ax.patches:
        if isinstance(p, Rectangle):
            out.setdefault(round(p.get_y() + p.get_height() / 2, 6), []).append(p)
    return out


@pytest.mark.parametrize("k", [4, 5])
def test_likert_is_centred_on_the_neutral_point(k):
    df = _likert(k)
    fig, alt = F.likert_diverging(df)
    bars = _bars(fig.axes[0])
    assert len(bars) == 3  # 4 bars, one suppressed
    first = df[(df["item"] == "Item A") & (df["wave"] == "pre")]["share"].to_numpy()
    expected_left = -(first[: k // 2].sum() + (0.5 * first[k // 2] if k % 2 else 0))
    lefts = sorted(min(r.get_x() for r in rs) for rs in bars.values())
    assert any(np.isclose(left, expected_left) for left in lefts)
    for rs in bars.values():  # every bar spans 100 %
        assert np.isclose(sum(r.get_width() for r in rs), 1.0)
    assert SECRET in _texts(fig) and fig.impact_secret
    assert ("paire" if k % 2 == 0 else "impaire") in alt


def test_likert_suppressed_bar_is_not_drawn():
    df = _likert(4)
    fig, alt = F.likert_diverging(df, response_labels={1: "Pas du tout", 2: "Plutôt pas",
                                                       3: "Plutôt", 4: "Tout à fait"})
    # n of the suppressed bar not shown either
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Avant (n = 40)" in labels and "Après" in labels
    assert "Item B : avant 50 % d'accord" in alt.replace(NBSP, " ")
    assert alt.endswith("après s.")


def test_diverging_colours():
    assert F.diverging_colours(5)[2] == NEUTRAL_GREY
    assert len(F.diverging_colours(4)) == 4 and NEUTRAL_GREY not in F.diverging_colours(4)
    assert len(set(F.diverging_colours(7))) == 7


# ------------------------------------------------------------------ sample flow


def test_sample_flow_numbers_in_french():
    fig, alt = F.sample_flow(_flow(), programme_labels={"cordee": "Cordée"})
    texts = _texts(fig)
    assert f"n = 1{NNBSP}234" in texts
    assert f"n = 1{NNBSP}162" in texts
    assert "n = 223" in texts  # kept computed for semaines_apprenantes: 230 − 7
    assert any("réponse trop rapide : 25" in t for t in texts)
    assert "Cordée" in texts
    assert f"1{NNBSP}234 réponses lues" in alt


def test_sample_flow_checks_the_row_accounting():
    bad = _flow()
    bad.loc[bad["stage"].eq("kept") & bad["programme"].eq("cordee"), "n"] = 1100
    with pytest.raises(ValueError, match="lost"):
        F.sample_flow(bad)
    with pytest.raises(ValueError, match="unknown stage"):
        F.sample_flow(pd.DataFrame({"programme": ["a"], "stage": ["lu"], "n": [1]}))


# ------------------------------------------------------------------ survival curve


def test_survival_curve_drops_suppressed_points():
    fig, alt = F.survival_curve(_survival())
    ax = fig.axes[0]
    step = [line for line in ax.lines if line.get_drawstyle().startswith("steps")][0]
    y = np.asarray(step.get_ydata(), dtype=float)
    assert np.isclose(y.max(), 0.1 + 0.08 * 4)  # points at t = 5, 6 are not drawn
    assert SECRET in _texts(fig) and "120" in _texts(fig)
    ticks = ax.yaxis.get_major_formatter().format_ticks(ax.get_yticks())
    assert f"40{NBSP}%" in ticks
    assert fig.impact_secret and "secret" in alt


def test_survival_curve_groups():
    a, b = _survival().assign(programme="b"), _survival().assign(programme="a")
    fig, alt = F.survival_curve(pd.concat([a, b]), group="programme",
                                group_labels={"a": "Groupe A"})
    assert alt.index("b :") < alt.index("Groupe A :")  # order of appearance kept
    assert len([line for line in fig.axes[0].lines
                if line.get_drawstyle().startswith("steps")]) == 2


# ------------------------------------------------------------------ determinism


def _funnel() -> pd.DataFrame:
    n = np.array([10, 20, 40, 80, 160])
    theta, sd = 0.3, 1.0
    estimate = theta + np.array([0.0, 0.3, -0.2, 0.0, 3.2 * sd / np.sqrt(160)])  # last: out
    return pd.DataFrame({"label": "Image", "n": n, "estimate": estimate, "overall": theta,
                         "sd_overall": sd})


def test_funnel_plot_limits_and_the_cells_outside_them():
    fig, alt = F.funnel_plot(_funnel())
    ax = fig.axes[0]
    limits = [line for line in ax.get_lines() if line.get_linestyle() in ("--", ":")]
    assert len(limits) == 4
    for line in limits:  # θ ± z·s/√n, z = 1,96 (--) or 3,09 (:)
        x, y = line.get_data()
        z = stats.norm.ppf(0.975 if line.get_linestyle() == "--" else 0.999)
        assert np.allclose(np.abs(y - 0.3), z / np.sqrt(x))
    assert "1 hors des limites à 99,8 %" in alt and "5 établissements" in alt


BUILDERS = {
    "forest": lambda: F.forest_plot(_forest()),
    "likert": lambda: F.likert_diverging(_likert(5)),
    "flow": lambda: F.sample_flow(_flow()),
    "funnel": lambda: F.funnel_plot(_funnel()),
    "survival": lambda: F.survival_curve(_survival()),
    "logic": lambda: F.logic_model(_models()),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_svg_bytes_are_deterministic(name):
    fig1, alt1 = BUILDERS[name]()
    fig2, alt2 = BUILDERS[name]()
    svg1, svg2 = F.to_svg(fig1), F.to_svg(fig2)
    assert svg1 == svg2 and alt1 == alt2
    assert svg1 == F.to_svg(fig1)  # saving twice too
    assert "<dc:date>" not in svg1
    assert svg1.lstrip().startswith("<?xml")


def test_png_bytes_are_deterministic_and_without_software_chunk():
    png1 = F.to_png(F.forest_plot(_forest())[0], dpi=50)
    png2 = F.to_png(F.forest_plot(_forest())[0], dpi=50)
    assert png1 == png2 and png1[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"tIME" not in png1 and b"Software" not in png1


def test_figures_are_not_registered_with_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    F.forest_plot(_forest())
    assert plt.get_fignums() == before


# ------------------------------------------------------------------ report-annex: caterpillar,
# label fit


def _sites() -> pd.DataFrame:
    est = np.array([0.40, -0.10, 0.25, 0.90])
    return pd.DataFrame({
        "label": "Image de l'industrie", "subgroup_value": ["s1", "s2", "s3", "s4"],
        "site": ["Collège Lucie-Aubrac (Besançon)", "Lycée B", "Collège Pierre-Vernotte "
                 "(Moirans-en-Montagne)", "Lycée D"],
        "n": [12, 30, 25, 40], "estimate": est, "ci_low": est - 0.2, "ci_high": est + 0.2,
        "overall": 0.3, "sd_overall": 1.0})


def test_caterpillar_plot_sorts_the_sites_and_marks_the_programme_mean():
    fig, alt = F.caterpillar_plot(_sites())
    ax = fig.axes[0]
    points = [line for line in ax.get_lines() if line.get_marker() in ("o", "D")]
    xs = np.concatenate([p.get_xdata() for p in points])
    ys = np.concatenate([p.get_ydata() for p in points])
    assert list(xs[np.argsort(ys)]) == sorted([0.40, -0.10, 0.25, 0.90])  # bottom to top
    # intervals [−0,30 ; 0,10] and [0,70 ; 1,10] exclude the programme mean 0,3: diamonds
    assert [list(p.get_xdata()) for p in points if p.get_marker() == "D"] == [[-0.10, 0.90]]
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert ticks[0] == "Lycée B" and ticks[-1] == "Lycée D"
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert dashed and np.allclose(dashed[0].get_xdata(), 0.3)
    ci = [c for c in ax.collections if isinstance(c, LineCollection)][0]
    assert len(ci.get_segments()) == 4
    assert "4 établissements" in alt and "plus forte Lycée D 0,90" in alt


def _ink_inside(fig: Figure) -> bool:
    """Everything each axes draws (tick labels included) lies inside the figure: nothing is
    clipped at an edge of the SVG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    box = fig.bbox
    return all(
        b.x0 >= box.x0 - 0.5 and b.x1 <= box.x1 + 0.5 and b.y0 >= box.y0 - 0.5
        and b.y1 <= box.y1 + 0.5
        for b in (ax.get_tightbbox(renderer) for ax in fig.axes if ax.axison))


def test_long_likert_item_labels_are_wrapped_and_stay_inside_the_figure():
    long = ("Je pense que les métiers de l'industrie offrent des perspectives de carrière "
            "intéressantes aux jeunes femmes comme aux jeunes hommes de ma région")
    df = _likert(4).replace({"Item A": long})
    fig, _alt = F.likert_diverging(df)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    wrapped = next(t for t in labels if t.replace("\n", " ") == long)
    assert "\n" in wrapped and max(len(line) for line in wrapped.split("\n")) <= 45
    assert _ink_inside(fig)
    assert _ink_inside(F.caterpillar_plot(_sites())[0])


def test_caterpillar_plot_never_draws_a_suppressed_cell():
    df = _sites().assign(suppressed=[False, True, False, False])
    fig, alt = F.caterpillar_plot(df)
    ax = fig.axes[0]
    xs = sorted(np.concatenate([line.get_xdata() for line in ax.get_lines()
                                if line.get_marker() in ("o", "D")]))
    assert xs == [0.25, 0.40, 0.90]  # −0,10 (Lycée B) is secret
    assert "Lycée B" not in [t.get_text() for t in ax.get_yticklabels()]
    assert "Lycée B" not in alt and "0,10" not in alt


# ------------------------------------------------------------------ logic model


LONG_EFFECT = ("une représentation plus juste et plus précise des métiers de l'industrie "
               "collaborative et innovante de la région, de leurs conditions et de leurs "
               "débouchés")


def _models() -> list[dict]:
    return [
        {"programme": "Cordée de la Réussite « VRAI »",
         "activities": ["visites d'entreprises", "tutorat par des étudiantes et étudiants"],
         "intermediate": ["meilleure connaissance des métiers", LONG_EFFECT],
         "measured": ["Image de l'industrie", "Connaissance des métiers",
                      "Stéréotypes de genre sur les métiers industriels"]},
        {"programme": "Semaines Apprenantes",
         "activities": ["une semaine d'immersion en entreprise industrielle"],
         "intermediate": ["confiance en sa capacité à réussir"],
         "measured": []},  # nothing measured: no arrow into the last column
    ]


def _logic_parts(fig: Figure):
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.text import Annotation

    (ax,) = fig.axes
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    texts = [t for t in ax.texts if not isinstance(t, Annotation)]
    return boxes, arrows, texts


def test_logic_model_draws_a_box_per_item_and_arrows_between_columns():
    from impact.report.i18n import use_language
    from impact.report.typography import typeset

    use_language("fr")
    fig, _alt = F.logic_model(_models())
    boxes, arrows, texts = _logic_parts(fig)
    assert len(boxes) == 2 + 2 + 3 + 1 + 1 + 0
    # first programme: activities → effects → measures; second: activities → effects only
    assert len(arrows) == 2 + 1
    for arrow in arrows:
        (x0, y0), (x1, y1) = arrow.xyann, arrow.xy
        assert x1 > x0 and y0 == y1  # left to right
    shown = [t.get_text() for t in texts]
    assert shown[:3] == ["Activités", "Effets attendus", "Mesuré par"]
    plain = [t.replace("\n", " ") for t in shown]
    assert typeset("Visites d'entreprises") in plain  # capitalised, curly apostrophe
    assert "Visites d’entreprises" in plain and typeset("Cordée de la Réussite « VRAI »") in plain
    assert typeset(LONG_EFFECT[0].upper() + LONG_EFFECT[1:]) in plain
    assert min(t.get_fontsize() for t in texts) >= 7.5  # readable in print
    assert fig.get_figwidth() == pytest.approx(6.3)


def test_logic_model_texts_are_wrapped_inside_their_boxes_and_the_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig, _alt = F.logic_model(_models())
    boxes, _arrows, texts = _logic_parts(fig)
    renderer = FigureCanvasAgg(fig).get_renderer()
    page = fig.bbox
    long = [t.get_text() for t in texts if "débouchés" in t.get_text()]
    assert len(long) == 1 and long[0].count("\n") >= 3  # wrapped, not shrunk or cut
    for text in texts:
        b = text.get_window_extent(renderer)
        assert (b.x0 >= page.x0 and b.x1 <= page.x1 and b.y0 >= page.y0
                and b.y1 <= page.y1), text.get_text()
    frames = [box.get_window_extent(renderer) for box in boxes]
    inside = 0
    for text in texts:
        b = text.get_window_extent(renderer)
        centre = ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
        frame = next((f for f in frames if f.contains(*centre)), None)
        if frame is None:  # a heading or a programme's name
            continue
        inside += 1
        assert (b.x0 >= frame.x0 and b.x1 <= frame.x1 and b.y0 >= frame.y0
                and b.y1 <= frame.y1), text.get_text()
    assert inside == len(boxes)  # one text per box, each within it
    # boxes do not overlap one another
    for i, a in enumerate(frames):
        for b in frames[i + 1:]:
            assert not a.overlaps(b)


def test_logic_model_alt_lists_the_three_columns_of_every_programme():
    from impact.report.i18n import use_language
    from impact.report.typography import typeset

    use_language("fr")
    _fig, alt = F.logic_model(_models())
    for model in _models():
        assert typeset(model["programme"]) in alt
        for key in ("activities", "intermediate", "measured"):
            for item in model[key]:
                assert typeset(item[:1].lower() + item[1:]) in alt, item
    assert alt.count("activités\u00a0:") == 2 and alt.count("mesuré par\u00a0:") == 2
    assert "mesuré par\u00a0: –." in alt  # the empty column is said to be empty
    use_language("en")
    try:
        fig, alt_en = F.logic_model(_models())
    finally:
        use_language("fr")
    shown = [t.get_text() for t in _logic_parts(fig)[2]]
    assert shown[:3] == ["Activities", "Expected outcomes", "Measured by"]
    assert "activities: " in alt_en and "measured by: " in alt_en and "activités" not in alt_en


def test_logic_model_needs_a_programme():
    with pytest.raises(ValueError, match="no programme"):
        F.logic_model([])
# ------------------------------------------------------------------ English edition

#: What French text looks like: accented letters, French quotes, a space before « : » or « ; »,
#: a space before « % », and short French words.
FRENCH = re.compile(r"[àâçéèêëîïôûùœÀÂÇÉÈÊÎÔ«»]| [:;%]|\b(les|des|et|du|une|la|le|aux|pour|"
                    r"dans|avec|sur|par|selon|mois|vague|réponses?|IC)\b")


def _english_frames() -> dict[str, tuple]:
    """Every builder on data whose own labels are English: what is French is the builder's."""
    forest = _forest().assign(measure=["Image of industry", "Knowledge of jobs",
                                       "Image of industry", "Self-efficacy"])
    likert = _likert(5).replace({"Item A": "First item", "Item B": "Second item"})
    flow = _flow().replace({"réponse de test": "test submission",
                            "consentement refusé": "no consent",
                            "réponse trop rapide": "answered too fast",
                            "doublon de code": "duplicate code", "incomplète": "incomplete"})
    sites = _sites().assign(label="Image of industry",
                            site=["School A", "School B", "School C", "School D"])
    return {
        "forest_plot": (forest, {"programme_labels": {"cordee": "Cordée « VRAI »"}}),
        "likert_diverging": (likert, {"response_labels": {1: "Disagree", 2: "Rather not",
                                                          3: "Neutral", 4: "Rather yes",
                                                          5: "Agree"}}),
        "sample_flow": (flow, {}),
        "survival_curve": (_survival(), {}),
        "funnel_plot": (_funnel().assign(label="Image of industry"), {}),
        "caterpillar_plot": (sites, {}),
    }


def _all_texts(fig: Figure) -> list[str]:
    """Every string drawn: texts, titles, axis labels, tick labels, legends."""
    out = list(fig.texts)
    for ax in fig.axes:
        out += [*ax.texts, ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label,
                *ax.get_xticklabels(), *ax.get_yticklabels()]
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
    for legend in fig.legends:
        out += legend.get_texts()
    return [t.get_text() for t in out if t.get_text()]


@pytest.mark.parametrize("builder", sorted(_english_frames()))
def test_english_figures_draw_and_describe_in_english(builder):
    frame, kwargs = _english_frames()[builder]
    with use_language("en"):
        fig, alt = getattr(F, builder)(frame, **kwargs)
        texts = _all_texts(fig)
    # the alt text as the page has it (notes.figure typesets it: « ; » → "; ", « » → “ ”)
    shown = typeset(alt, "en")
    french = [t for t in [*texts, shown] if FRENCH.search(t.replace("Cordée", ""))]
    assert not french, french
    assert len(alt) > 60


def test_english_axis_percentages():
    with use_language("en"):
        assert FrenchFormatter(percent=True, decimals=0)(0.25) == "25%"
    assert FrenchFormatter(percent=True, decimals=0)(0.25) == f"25{NBSP}%"


def test_english_figure_quotes_a_french_name_the_english_way():
    frame, kwargs = _english_frames()["forest_plot"]
    with use_language("en"):
        fig, _alt = F.forest_plot(frame, **kwargs)
    assert "Cordée “VRAI”" in _all_texts(fig)
