# Two commands do all set-up on a fresh machine:
#   make run    bootstrap .venv, run the workflow on the bundled example campaign, build the report
#   make test   bootstrap .venv, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all
SNAKE  := $(BIN)/snakemake --cores $(CORES)

export GX_ANALYTICS_ENABLED := false
export MPLBACKEND := Agg

.PHONY: run test test-fast lint bench lock report-open clean snakemake catalogue

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip check
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name impact-itip --display-name "Impact ITIP" >/dev/null
	touch $@

run: $(STAMP)
	$(SNAKE)
	@echo "Reports: results/report/impact_itip.html (+ .pdf, annex, English editions); validation summary (French):"
	@echo "results/validation/synthese.html; data docs: results/validation/data_docs/index.html;"
	@echo "row accounting: results/validation/row_accounting.csv"

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(SNAKE) --lint
	$(BIN)/snakefmt --check Snakefile workflow/
	$(BIN)/ruff check src tests workflow/scripts bench

# Any Snakemake command with the project's environment, e.g.
#   make snakemake ARGS="--workflow-profile workflow/profiles/slurm -n"
snakemake: $(STAMP)
	$(BIN)/snakemake $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Refresh the pins after changing dependencies in pyproject.toml. The lock is installed as is
# (--no-deps), without rfc3987-syntax: jupyter-events asks for jsonschema[format-nongpl], whose
# IRI checker compiles ~40 Earley grammars on import, 2 s added to every process that imports
# jsonschema (Great Expectations, nbformat, Snakemake's config check); only the "iri" formats,
# which nothing here uses, need it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude impact-itip | sed -e '/^-e /d' -e '/^rfc3987-syntax==/d' > requirements.lock
	$(PYTHON) tools/write_environment.py
	rm -rf .lock-venv

clean:
	rm -rf results .snakemake .cache/report-figures

# Refresh the report's English message catalogue after changing a _("…") string.
catalogue: $(STAMP)
	$(BIN)/python tools/update_catalogue.py
