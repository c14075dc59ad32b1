"""The conda environment and the pip lock install the same pinned packages."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    return {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in lines if "==" in line}


def test_environment_yml_matches_lock():
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip_section) == lock
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_lock_pins_every_direct_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    direct = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower().replace("_", "-")
             for d in direct}
    assert names <= set(lock), names - set(lock)


def test_rules_use_the_same_environment():
    assert (ROOT / "workflow/envs/impact.yaml").resolve() == (ROOT / "environment.yml").resolve()
