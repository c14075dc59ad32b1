"""Write environment.yml from requirements.lock, so that conda and pip install the same pins.

Run by `make lock`; tests/test_environment.py checks the two files agree.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    pins = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    lines = [
        "# Conda environment equal in content to the pip install (generated from",
        "# requirements.lock by tools/write_environment.py; do not edit by hand).",
        "# The project itself is installed on top, as `make` does: pip install --no-deps -e .",
        "# With `snakemake --sdm conda` (workflow/envs/impact.yaml is this file), Snakemake runs",
        "# workflow/envs/impact.post-deploy.sh in the new environment to do it. Not verified:",
        "# conda-forge is not reachable from the development machine (docs/cluster.md).",
        "name: impact-itip",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f"      - {pin}" for pin in pins],
    ]
    (ROOT / "environment.yml").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
