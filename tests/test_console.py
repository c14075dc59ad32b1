"""The console of a run: Snakemake's progress and the stages' French messages; library
warnings and what child processes print go to the rule's log."""

import subprocess
import sys
import warnings

import pytest

from impact.errors import DataError
from impact.stages import stage_log


def test_warnings_and_child_stderr_go_to_the_log(tmp_path, capfd):
    log_path = tmp_path / "logs/stage.log"
    with stage_log(log_path, "demo"):
        warnings.warn("rank-deficient design matrix", UserWarning, stacklevel=1)
        subprocess.run([sys.executable, "-c",
                        "import sys; sys.stderr.write('[IPKernelApp] WARNING | kernel\\n')"],
                       check=True)
        print("stray line", file=sys.stderr)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = log_path.read_text(encoding="utf-8")
    assert "UserWarning: rank-deficient design matrix" in text
    assert "[IPKernelApp] WARNING | kernel" in text and "stray line" in text
    assert "stage demo started" in text and "stage demo done" in text


def test_a_data_error_is_one_french_message_on_the_console(tmp_path, capfd):
    log_path = tmp_path / "stage.log"
    with pytest.raises(SystemExit) as stop, stage_log(log_path, "demo"):
        raise DataError("Fichier x.csv, ligne 3 : âge illisible. Corrigez la cellule.")
    assert stop.value.code == 1
    out, err = capfd.readouterr()
    assert err.strip() == "Fichier x.csv, ligne 3 : âge illisible. Corrigez la cellule."
    assert "Traceback" not in err
    assert "âge illisible" in log_path.read_text(encoding="utf-8")
    # the console is back on the terminal after the stage
    print("après", file=sys.stderr)
    assert capfd.readouterr().err == "après\n"
