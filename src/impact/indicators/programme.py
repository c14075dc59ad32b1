"""Every indicator of one programme: attitude change, and insertion where there is a
follow-up wave asking the situation (the same call for the workflow and the in-process
pipeline)."""

from __future__ import annotations

import pandas as pd

from impact.indicators.attitudes import AnalysisSettings, attitude_indicators
from impact.indicators.insertion import InsertionSettings, insertion_indicators
from impact.survey.codebook import Codebook
from impact.survey.instrument import Instrument


def programme_indicators(panel: pd.DataFrame, codebook: Codebook, instrument: Instrument,
                         config: dict, waves: list[str]) -> list[dict]:
    """Tidy records of every estimate of one programme (not yet suppressed)."""
    records = attitude_indicators(panel, codebook, instrument,
                                  AnalysisSettings.from_config(config), waves)
    followups = [w for w in waves if "situation" in codebook.waves[w].columns]
    if followups:
        settings = InsertionSettings.from_config(
            config, audience=codebook.waves[followups[-1]].audience or None,
            situation_codes=list(instrument.variable("situation").codes))
        records += insertion_indicators(panel, programme=codebook.programme, waves=waves,
                                        settings=settings, alpha=config["analysis"]["alpha"],
                                        attitude_scales=list(codebook.scales))
    return records
