"""Run configuration: checked against ``workflow/schemas/config.schema.yaml`` at start-up.

Errors are English (configuration is the pipeline's, not the survey data's) and name the file,
the line and the key path of each problem, e.g.
``config/config.yaml:61 (analysis.alpha): 0.7 is greater than or equal to the maximum of 0.5``.
"""

from __future__ import annotations

from pathlib import Path

from impact.errors import ConfigError, DataError
from impact.survey.yamlio import LineIndex, bullet_list, load_schema, load_yaml, schema_errors

DEFAULT_CONFIG = Path("config/config.yaml")


def check_config(config: dict, path: str | Path = DEFAULT_CONFIG) -> None:
    """Raise :class:`ConfigError` listing every schema violation, located in ``path``."""
    path = Path(path)
    lines = load_yaml(path)[1] if path.is_file() else LineIndex(path, None)
    problems = schema_errors(config, load_schema("config"), lines)
    if problems:
        raise ConfigError(f"Invalid configuration {path}:\n{bullet_list(problems)}\n"
                          "See config/README.md for what each key means.")


def check_programmes(config: dict, path: str | Path = DEFAULT_CONFIG) -> dict:
    """Load the instrument and the configured codebooks; check configured waves exist.

    Returns ``{programme: Codebook}``. Codebook problems are data problems (French
    :class:`DataError`); a wave or programme named in the config but absent from the surveys is
    a configuration problem (English :class:`ConfigError`).
    """
    from impact.survey.codebook import load_codebooks
    from impact.survey.instrument import load_instrument

    surveys = Path(config["surveys_dir"])
    if not (surveys / "instrument.yaml").is_file():
        raise ConfigError(f"{path} (surveys_dir): no instrument.yaml in '{surveys}'. Point "
                          "surveys_dir at the folder holding instrument.yaml and one folder "
                          "per programme.")
    missing = [p for p in config["programmes"] if not (surveys / p / "codebook.yaml").is_file()]
    if missing:
        raise ConfigError(f"{path} (programmes): no codebook for {', '.join(missing)} — expected "
                          f"{', '.join(str(surveys / p / 'codebook.yaml') for p in missing)}.")
    instrument = load_instrument(surveys / "instrument.yaml")
    books = load_codebooks(surveys, list(config["programmes"]), instrument)
    from impact.survey.sites import load_sites

    for book in books.values():  # a missing or broken site list stops before any job runs
        if any("site" in w.columns for w in book.waves.values()):
            load_sites(book.sites_path)
    for programme, spec in config["programmes"].items():
        unknown = [w for w in spec["waves"] if w not in books[programme].waves]
        if unknown:
            raise ConfigError(
                f"{path} (programmes.{programme}.waves): wave(s) {', '.join(unknown)} not in "
                f"{books[programme].path} (it defines {', '.join(books[programme].waves)}).")
        if spec["waves"][0] != next(iter(books[programme].waves)):
            raise ConfigError(f"{path} (programmes.{programme}.waves): the first wave must be "
                              "the baseline wave of the codebook "
                              f"({next(iter(books[programme].waves))}).")
    return books


__all__ = ["check_config", "check_programmes", "ConfigError", "DataError"]
