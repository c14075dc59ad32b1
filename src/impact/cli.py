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
    args = parser.parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
