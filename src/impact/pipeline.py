"""The whole analysis as library calls in one Python process (no Snakemake).

The same functions the workflow's stages call, chained in memory: ingest → validate (Great
Expectations) → link → indicators → publish. Used to choose and check synthetic campaigns
(tests, seed selection), and by the benchmarks as the *compute floor* against which the
workflow's orchestration overhead is measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.checks.validate import Settings, validate_export
from impact.config import check_programmes
from impact.indicators import contract
from impact.indicators.programme import programme_indicators
from impact.indicators.publish import publish_table
from impact.ingest.harmonise import ingest_export
from impact.ingest.pseudonym import load_key
from impact.linkage.panel import Panel, build_panel, truth_mapping


@dataclass
class CampaignResult:
    table: pd.DataFrame  # published indicator table (every programme + pooled)
    accounting: list[dict] = field(default_factory=list)
    panels: dict[str, Panel] = field(default_factory=dict)


def run_campaign(config: dict, *, workdir: str | Path) -> CampaignResult:
    """Run every configured programme × wave through the analysis, in memory.

    ``config`` is a checked configuration (its ``surveys_dir`` points at the campaign);
    ``workdir`` receives Great Expectations' state only.
    """
    from impact.survey.instrument import load_instrument

    surveys = Path(config["surveys_dir"])
    books = check_programmes(config)
    instrument = load_instrument(surveys / "instrument.yaml")
    pseudo = config["pseudonymisation"]
    key = load_key(env_var=pseudo.get("key_env", "IMPACT_PSEUDONYM_KEY"),
                   file_env_var=pseudo.get("key_file_env", "IMPACT_PSEUDONYM_KEY_FILE"),
                   demo=pseudo["demo_key"])
    result = CampaignResult(table=pd.DataFrame())
    frames, quality = [], {}
    for programme, spec in config["programmes"].items():
        book, waves = books[programme], spec["waves"]
        settings = Settings.from_config(config, programme)
        kept, codes = {}, {}
        for wave in waves:
            ingested = ingest_export(book, wave, instrument, key=key,
                                     test_markers=config["validation"]["test_markers"],
                                     surveys_dir=surveys)
            validated = validate_export(
                ingested.interim, book, wave, instrument, settings,
                context_dir=Path(workdir) / "gx",
                corrections_path=surveys / programme / "corrections.yaml")
            kept[wave], codes[wave] = validated.kept, ingested.codes
            result.accounting.append(validated.accounting)
        panel = build_panel(kept, codes, codebook=book, instrument=instrument, key=key,
                            linkage=config["linkage"],
                            min_item_share=config["analysis"]["min_item_share"],
                            truth=truth_mapping(surveys / programme / "ground_truth_rows.csv"))
        result.panels[programme] = panel
        quality[programme] = panel.quality
        records = programme_indicators(panel.panel, book, instrument, config, waves)
        # true values: publish_table's disclosure control decides what is shown
        frames.append(contract.tidy(records + panel.attrition))
    result.table = publish_table(frames, quality, config["analysis"])
    return result
