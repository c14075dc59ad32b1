#!/usr/bin/env bash
# Run by Snakemake with --sdm conda, inside the new environment, once impact.yaml (the pinned
# dependencies of requirements.lock) is installed: adds the project's own package, impact-itip,
# as `make` does (pip install --no-deps -e .). Snakemake passes this script's own path when the
# workflow's source is on disk (this repository, or a module deployed from a local clone); from
# a remote module source it gets a temporary copy, and the package must then be installed into
# the environment by hand.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! grep -qs '^name = "impact-itip"' "$root/pyproject.toml"; then
    echo "impact.post-deploy.sh: no impact-itip source tree at $root (remote module source?)." >&2
    echo "Install the package into this environment: pip install --no-deps -e PATH_TO_CLONE" >&2
    exit 1
fi
python -m pip install --quiet --no-deps -e "$root"
