"""The impact command line: the researcher's tools around the Impact ITIP workflow.

One subcommand per task (help and usage messages in English, like every configuration
message; what the tools say about the survey data is French):

* ``impact simulate`` — write a synthetic campaign (the bundled example is its output with the
  seed of ``surveys/simulation.yaml``);
* ``impact check [PROGRAMME…]`` — codebooks, site lists and exports checked as the workflow
  would ingest them, in seconds, without running it (exit status 0: everything would ingest);
* ``impact codebook draft EXPORT…`` — a draft codebook from a programme's exports, to review.

Each handler is a few lines over :mod:`impact.simulate` or :mod:`impact.toolkit`. Errors meant
for users (:class:`impact.errors.ImpactError`) are printed as one message without a traceback,
and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from impact.errors import ConfigError, ImpactError

DISTRIBUTION = "impact-itip"


def package_version() -> str:
    """The installed distribution's version (``importlib.metadata``), or ``unknown``."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (each sets ``handler``)."""
    parser = argparse.ArgumentParser(prog="impact", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = commands.add_parser("simulate", help="write a synthetic campaign with planted effects",
                              description="Write a synthetic campaign with planted effects.")
    sim.add_argument("--spec", type=Path, default=Path("surveys/simulation.yaml"),
                     help="simulation parameters (default: %(default)s)")
    sim.add_argument("--out", type=Path, default=None,
                     help="output surveys directory (default: the directory of --spec)")
    sim.add_argument("--seed", type=int, default=None,
                     help="random seed (default: the seed in --spec)")
    sim.add_argument("--respondents", type=int, default=None,
                     help="total baseline respondents; rescales programmes, sites and mess")
    sim.set_defaults(handler=_simulate)

    check = commands.add_parser(
        "check", help="check codebooks, site lists and exports without running the workflow",
        description="Check each programme's codebook, site list and exports as the workflow "
                    "would ingest them; exit status 0 when everything would ingest, 1 otherwise.")
    check.add_argument("programmes", nargs="*", metavar="PROGRAMME",
                       help="programmes to check (default: every programme of --config)")
    _config_options(check)
    check.set_defaults(handler=_check)

    codebook = commands.add_parser("codebook", help="work on a programme's codebook",
                                   description="Work on a programme's codebook.")
    books = codebook.add_subparsers(dest="codebook_command", required=True, metavar="ACTION")
    draft = books.add_parser(
        "draft", help="draft a codebook from a programme's exports (one per wave)",
        description="Draft a codebook from a programme's exports (one per wave, in wave "
                    "order): detected format, columns matched to the instrument by their "
                    "French wording (score as a YAML comment), identifiers, label maps and "
                    "the columns left to decide. Review every comment, then run `impact check`.")
    draft.add_argument("exports", nargs="+", type=Path, metavar="EXPORT",
                       help="export files, one per wave; the wave is named after the file "
                            "(pre.csv -> pre)")
    draft.add_argument("--programme", default=None,
                       help="programme name (default: the name of the exports' folder)")
    draft.add_argument("--out", type=Path, default=None,
                       help="codebook to write (default: print to standard output); an "
                            "existing file is not overwritten")
    draft.add_argument("--surveys", type=Path, default=None,
                       help="folder holding instrument.yaml (default: the parent of the "
                            "exports' folder)")
    draft.set_defaults(handler=_draft)

    review = commands.add_parser("review", help="the review workbook's decisions")
    review_commands = review.add_subparsers(dest="review_command", required=True)
    apply = review_commands.add_parser(
        "apply", help="write the filled decisions of a review workbook into corrections.yaml")
    apply.add_argument("workbook", type=Path,
                       help="the filled workbook (restricted/review/review_workbook.xlsx)")
    apply.add_argument("--surveys", type=Path, default=Path("surveys"),
                       help="surveys directory holding <programme>/corrections.yaml "
                            "(default: %(default)s)")
    apply.set_defaults(handler=_review_apply)
    return parser


def _config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"),
                        help="run configuration (default: %(default)s)")
    parser.add_argument("--surveys", type=Path, default=None,
                        help="surveys folder (default: surveys_dir of --config)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ImpactError as exc:
        print(f"impact: {exc}", file=sys.stderr)
        return 1


def _simulate(args: argparse.Namespace) -> int:
    from impact.simulate import simulate_campaign

    out = args.out or args.spec.parent
    start = time.perf_counter()
    truths = simulate_campaign(args.spec, out, seed=args.seed, respondents=args.respondents)
    for name, truth in truths.items():
        print(f"{name}: {truth['persons']} persons, exports in {out / name}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def _check(args: argparse.Namespace) -> int:
    from impact.config import check_programmes
    from impact.toolkit.check import check_campaign

    config = _load_config(args.config)
    surveys = args.surveys or Path(config["surveys_dir"])
    configured = config["programmes"]
    unknown = [p for p in args.programmes if p not in configured]
    if unknown:
        raise ConfigError(f"{args.config} (programmes): {', '.join(unknown)} not configured "
                          f"(configured: {', '.join(configured)}).")
    chosen = {p: configured[p]["waves"] for p in (args.programmes or configured)}
    start = time.perf_counter()
    result = check_campaign(surveys, chosen, config["validation"]["test_markers"])
    print(result.summary())
    print(f"\n{len(chosen)} programme(s) vérifié(s) en {time.perf_counter() - start:.1f} s.")
    if result.ok:  # what the workflow checks at start-up besides (waves, baseline first)
        check_programmes({**config, "surveys_dir": str(surveys),
                          "programmes": {p: configured[p] for p in chosen}}, args.config)
    return 0 if result.ok else 1


def _load_config(path: Path) -> dict:
    """The run configuration, checked against its schema (English :class:`ConfigError`)."""
    import yaml

    from impact.config import check_config

    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file (give one with --config).")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    check_config(config, path)
    return config


def _draft(args: argparse.Namespace) -> int:
    from impact.toolkit.draft import draft_codebook

    exports = [Path(p) for p in args.exports]
    programme = args.programme or exports[0].resolve().parent.name
    surveys = args.surveys or exports[0].resolve().parent.parent
    if args.out is not None and args.out.exists():
        raise ConfigError(f"{args.out} exists: choose another --out (a draft never overwrites "
                          "a codebook).")
    text = draft_codebook(exports, programme, surveys / "instrument.yaml").text
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"draft codebook written to {args.out}: review every « À VÉRIFIER » / « À "
              f"DÉCIDER » comment, then run `impact check {programme}`.")
    return 0


def _review_apply(args: argparse.Namespace) -> int:
    """``impact review apply WORKBOOK``: decisions → corrections.yaml (see docs/review.md)."""
    from impact.toolkit.review import apply_workbook

    added = apply_workbook(args.workbook, args.surveys)
    for programme, n in sorted(added.items()):
        print(f"{programme}: {n} décision(s) ajoutée(s) à "
              f"{args.surveys / programme / 'corrections.yaml'}")
    if not added:
        print("aucune décision remplie dans le classeur")
    print("relancez la chaîne pour appliquer les décisions")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
