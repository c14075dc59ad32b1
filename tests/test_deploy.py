"""Deploying the workflow the way Snakemake users expect: snakefmt-clean rules, a clear stop
without the package, use as a module through snakedeploy, the catalogue's files, .test/."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.workflow_support import REPO, scratch_repo, snakemake

BIN = Path(sys.executable).parent
#: Every final output but the report's (report.smk reads its notebook template from the
#: working directory, not from the workflow's source: see the test's docstring).
TARGETS = ["results/datapackage.json", "results/validation/row_accounting.csv",
           "results/validation/synthese.html", "results/validation/disclosure_summary.csv",
           "results/validation/data_docs/index.html"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "MPLBACKEND": "Agg",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_rules_are_snakefmt_clean():
    done = run(str(BIN / "snakefmt"), "--check", "Snakefile", "workflow/", cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "snakefmt --check Snakefile workflow/" in (REPO / "Makefile").read_text()


def test_without_the_package_the_workflow_stops_with_what_to_install(tmp_path):
    """The Snakefile imports impact at start-up; without it: one message, no traceback."""
    workdir = scratch_repo(tmp_path / "repo")
    code = ("import sys; sys.modules['impact'] = None; from snakemake.cli import main; "
            "sys.argv = ['snakemake', '-n', '--cores', '1']; main()")
    done = run(sys.executable, "-c", code, cwd=workdir)
    assert done.returncode != 0
    assert "impact-itip is not installed" in done.stderr
    assert "pip install --no-deps -e ." in done.stderr
    assert "Traceback" not in done.stderr


def test_snakedeploy_module_dry_run(tmp_path):
    """`snakedeploy deploy-workflow` from a local clone, then a dry run in the deployment.

    snakedeploy's local provider copies config/ and LICENSE and writes workflow/Snakefile with
    a module whose snakefile is the path relative to the source ("Snakefile"), which Snakemake
    reads relative to the deployment; a hosted repository gets `github("owner/repo",
    path="Snakefile", tag=...)` instead. The test points it at the clone's Snakefile (what
    github(...) resolves to) and keeps everything else as generated. The deployment brings its
    own surveys/ (the user's data), here a copy of the example."""
    source = scratch_repo(tmp_path / "impact-itip")
    shutil.copy(REPO / "LICENSE", source / "LICENSE")
    dest = tmp_path / "deployment"
    done = run(str(BIN / "snakedeploy"), "deploy-workflow", str(source), str(dest),
               "--branch", "main", "--name", "impact_itip", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (dest / "config/config.yaml").read_text() == (source / "config/config.yaml").read_text()
    assert (dest / "LICENSE").is_file()
    snakefile = dest / "workflow/Snakefile"
    generated = snakefile.read_text()
    assert "module impact_itip:" in generated and "use rule * from impact_itip" in generated
    assert '        "Snakefile"\n' in generated
    snakefile.write_text(generated.replace('        "Snakefile"\n',
                                           f'        "{source / "Snakefile"}"\n'))
    shutil.copytree(REPO / "surveys", dest / "surveys")
    done = snakemake(dest, "--dry-run", *TARGETS)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    for rule in ("ingest", "validate", "link", "indicators", "publish", "validation_summary"):
        assert f"rule {rule}:" in done.stdout


def test_test_config_dry_run():
    """The catalogue's .test/ configuration: the example campaign, one programme."""
    config = yaml.safe_load((REPO / ".test/config/config.yaml").read_text())
    assert (REPO / ".test" / config["surveys_dir"] / "instrument.yaml").is_file()
    done = snakemake(REPO, "--directory", ".test", "--dry-run", *TARGETS)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert done.stdout.count("rule ingest:") == 2  # cordee pre and post


def test_catalogue_file_claims_only_what_is_tested():
    catalogue = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalogue["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment", "report"}
    assert usage["mandatory-flags"]["desc"].strip()
    # --sdm conda could not be run where the workflow is developed (docs/cluster.md)
    assert usage["software-stack-deployment"]["conda"] is False
    assert (REPO / "workflow/envs/impact.post-deploy.sh").stat().st_mode & 0o111


def test_post_deploy_script_stops_without_the_source_tree(tmp_path):
    """From a remote module source Snakemake runs a temporary copy of the script: it must say
    what to install instead of installing something else."""
    copy = tmp_path / "envs/impact.post-deploy.sh"
    copy.parent.mkdir()
    shutil.copy(REPO / "workflow/envs/impact.post-deploy.sh", copy)
    done = run("bash", str(copy), cwd=tmp_path)
    assert done.returncode == 1
    assert "pip install --no-deps -e PATH_TO_CLONE" in done.stderr
