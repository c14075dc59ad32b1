"""The ``impact`` command line.

``impact simulate`` writes a synthetic campaign (the bundled example is its output with the
seed of ``surveys/simulation.yaml``). Errors meant for users (:class:`impact.errors.ImpactError`)
are printed as one message without a traceback, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from impact.errors import ImpactError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="impact", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sim = commands.add_parser("simulate", help="write a synthetic campaign with planted effects")
    sim.add_argument("--spec", type=Path, default=Path("surveys/simulation.yaml"),
                     help="simulation parameters (default: %(default)s)")
    sim.add_argument("--out", type=Path, default=None,
                     help="output surveys directory (default: the directory of --spec)")
    sim.add_argument("--seed", type=int, default=None,
                     help="random seed (default: the seed in --spec)")
    sim.add_argument("--respondents", type=int, default=None,
                     help="total baseline respondents; rescales programmes, sites and mess")
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
    args = parser.parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "review":
            return args.handler(args)
    except ImpactError as exc:
        print(f"impact: {exc}", file=sys.stderr)
        return 1
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from impact.simulate import simulate_campaign

    out = args.out or args.spec.parent
    start = time.perf_counter()
    truths = simulate_campaign(args.spec, out, seed=args.seed, respondents=args.respondents)
    for name, truth in truths.items():
        print(f"{name}: {truth['persons']} persons, exports in {out / name}")
    print(f"done in {time.perf_counter() - start:.1f} s")
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
