"""The entry point: a whole synthetic campaign, one programme after the other, each export
written with its ground truth.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from impact.simulate.answers import wave_answers
from impact.simulate.expected import expected_values
from impact.simulate.mess import plant_mess
from impact.simulate.population import _sites, simulate_persons
from impact.simulate.spec import (
    ProgrammeSpec,
)
from impact.simulate.writers import render_export
from impact.survey.codebook import load_codebook
from impact.survey.instrument import Instrument, load_instrument
from impact.survey.sites import load_sites, site_key

# ---------------------------------------------------------------------------------------------
# public entry point


def simulate_campaign(spec_path: str | Path, out_dir: str | Path, *, seed: int | None = None,
                      respondents: int | None = None) -> dict[str, dict]:
    """Write a complete synthetic campaign under ``out_dir``; return each programme's truth.

    ``spec_path`` is ``surveys/simulation.yaml``; the instrument, codebooks and declared site
    lists (``sites.yaml``) are read from its directory and copied to ``out_dir`` when that is
    another directory, so that ``out_dir`` is a complete surveys directory (a scaled-up
    campaign's extra sites are declared in its copy of the site list). ``respondents``
    rescales every programme (and its sites and mess counts) so that the campaign has about
    that many baseline respondents in total.
    """
    spec_path, out_dir = Path(spec_path), Path(out_dir)
    source_dir = spec_path.parent
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    seed = int(spec["seed"] if seed is None else seed)
    instrument = load_instrument(source_dir / "instrument.yaml")
    base_total = sum(p["participants"] + p.get("comparison", 0)
                     for p in spec["programmes"].values())
    factor = 1.0 if respondents is None else respondents / base_total
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != source_dir.resolve():
        _copy_definitions(source_dir, out_dir, list(spec["programmes"]))
    truths = {}
    seeds = np.random.SeedSequence(seed).spawn(len(spec["programmes"]))
    for (name, pspec), child in zip(spec["programmes"].items(), seeds, strict=True):
        codebook = load_codebook(source_dir / name / "codebook.yaml", instrument)
        programme = ProgrammeSpec(name, pspec, codebook, factor)
        _declare_sites(codebook.sites_path, out_dir / name / codebook.sites_file,
                       _sites(programme)[0])
        truths[name] = _simulate_programme(programme, instrument, np.random.default_rng(child),
                                           out_dir / name, seed)
    return truths


def _copy_definitions(source: Path, target: Path, programmes: list[str]) -> None:
    shutil.copyfile(source / "instrument.yaml", target / "instrument.yaml")
    shutil.copyfile(source / "simulation.yaml", target / "simulation.yaml")
    for name in programmes:
        (target / name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name / "codebook.yaml", target / name / "codebook.yaml")
        book = yaml.safe_load((source / name / "codebook.yaml").read_text(encoding="utf-8"))
        sites = book.get("sites", "sites.yaml")
        if (source / name / sites).is_file():
            shutil.copyfile(source / name / sites, target / name / sites)


def _declare_sites(source: Path, target: Path, names: list[str]) -> None:
    """A scaled-up campaign has numbered copies of the sites (« … – groupe 2 »): declare them
    in the written campaign's site list, each after the site it copies (same expected size)."""
    if not source.is_file():
        return
    declared = load_sites(source)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    by_code = {entry["code"]: entry for entry in data["sites"]}
    added = []
    for name in names:
        if site_key(name) in declared.keys:
            continue
        base = next((s for s in declared.sites if name.startswith(s.label + " – groupe ")),
                    None)
        number = name.rsplit(" ", 1)[-1]
        entry = {"code": f"{base.code}_groupe_{number}" if base else f"site_{len(added) + 1}",
                 "label": name, "aliases": []}
        if base is not None and by_code[base.code].get("expected") is not None:
            entry["expected"] = by_code[base.code]["expected"]
        added.append(entry)
    if added:
        data["sites"] += added
        target.write_text("# Written by impact simulate: the declared sites of a scaled-up "
                          "campaign.\n" + yaml.safe_dump(data, allow_unicode=True,
                                                         sort_keys=False),
                          encoding="utf-8")


def _simulate_programme(p: ProgrammeSpec, instrument: Instrument, rng: np.random.Generator,
                        out: Path, seed: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    persons = simulate_persons(p, rng)
    truth_rows = []
    mess_counts = {}
    for wave in p.waves:
        spec = p.codebook.waves[wave]
        answers = wave_answers(p, persons, wave, instrument, rng)
        answers, counts = plant_mess(p, answers, wave, instrument, rng)
        mess_counts[wave] = counts
        content = render_export(answers, spec, instrument, rng)
        (out / spec.file).write_bytes(content)
        truth_rows.append(pd.DataFrame({
            "wave": wave, "source_line": np.arange(len(answers)) + 2,
            "person_id": answers["person_id"].to_numpy(), "mess": answers["mess"].to_numpy()}))
    _fix_lines_for_multiline(truth_rows, out, p)
    rows = pd.concat(truth_rows, ignore_index=True)
    rows.to_csv(out / "ground_truth_rows.csv", index=False, lineterminator="\n")
    truth = {
        "programme": p.name,
        "seed": seed,
        "scale_factor": p.scale_factor,
        "persons": int(len(persons)),
        "planted": {k: p.get(k) for k in ("effects", "secular_change", "site_change_sd",
                                          "site_effect_sd", "subgroup_effects", "change_sd",
                                          "retention", "attrition_on", "attrition_slope",
                                          "insertion")
                    if p.get(k) is not None},
        "expected": expected_values(p, instrument),
        "mess": mess_counts,
    }
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False,
                                                      sort_keys=True) + "\n", encoding="utf-8")
    return truth


def _fix_lines_for_multiline(truth_rows: list[pd.DataFrame], out: Path, p: ProgrammeSpec) -> None:
    """Line numbers in the truth must be physical lines: re-read CSVs with quoted newlines."""
    for frame in truth_rows:
        wave = frame["wave"].iloc[0] if len(frame) else None
        if wave is None:
            continue
        spec = p.codebook.waves[wave]
        if spec.format != "csv":
            continue
        text = (out / spec.file).read_bytes().decode(spec.encoding)
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=spec.delimiter)
        starts, end = [], 0
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
        frame["source_line"] = starts[1:1 + len(frame)]


