"""The figure cache of the editing loop: a kept figure is the figure a fresh draw gives, and any
change of what determines it draws again."""

from __future__ import annotations

import json

from impact.report import drawings, notes
from impact.report import figures as F
from impact.report.i18n import use_language
from tests.test_figures import _forest


def _files(cache):
    return sorted(p.name for p in cache.iterdir())


def test_a_kept_figure_is_byte_identical_to_a_fresh_one(tmp_path):
    use_language("fr")
    fresh, fresh_alt = F.forest_plot(_forest())
    first, alt1 = drawings.draw("forest_plot", _forest(), cache=tmp_path)
    kept, alt2 = drawings.draw("forest_plot", _forest(), cache=tmp_path)
    assert len(_files(tmp_path)) == 1
    assert kept == first
    assert kept.svg == F.to_svg(fresh)
    assert alt1 == alt2 == fresh_alt
    assert kept.width == round(fresh.get_figwidth(), 4)
    # the suppressed row of the frame makes the figure carry the « s. » footnote
    assert kept.secret is True and getattr(fresh, "impact_secret", False) is True
    exhibit = notes.figure(kept, alt2, title="t", lecture="l", champ="c", source="s")
    assert exhibit.has_secret
    assert 'style="width: ' in exhibit.body_html


def test_the_cache_is_read_not_redrawn(tmp_path):
    use_language("fr")
    drawn, _ = drawings.draw("forest_plot", _forest(), cache=tmp_path)
    (entry,) = tmp_path.iterdir()
    stored = json.loads(entry.read_text(encoding="utf-8"))
    stored["svg"] = stored["svg"].replace("<svg", '<svg data-kept="1"', 1)
    entry.write_text(json.dumps(stored), encoding="utf-8")
    kept, _ = drawings.draw("forest_plot", _forest(), cache=tmp_path)
    assert 'data-kept="1"' in kept.svg and 'data-kept="1"' not in drawn.svg


def test_any_change_of_data_arguments_or_language_draws_again(tmp_path):
    use_language("fr")
    drawings.draw("forest_plot", _forest(), cache=tmp_path)
    changed = _forest()
    changed.loc[0, "effect_size"] = 0.43
    drawings.draw("forest_plot", changed, cache=tmp_path)
    relabelled = _forest()
    relabelled.loc[1, "measure"] = "Connaissance des métiers industriels"
    drawings.draw("forest_plot", relabelled, cache=tmp_path)
    assert len(_files(tmp_path)) == 3
    use_language("en")
    try:
        drawings.draw("forest_plot", _forest(), cache=tmp_path)
    finally:
        use_language("fr")
    assert len(_files(tmp_path)) == 4
    drawings.draw("forest_plot", _forest(), cache=tmp_path)  # French again: kept
    assert len(_files(tmp_path)) == 4


def test_no_cache_always_draws(tmp_path):
    use_language("fr")
    drawn, alt = drawings.draw("forest_plot", _forest(), cache=None)
    assert "<svg" in drawn.svg and alt
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
