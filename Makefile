# openclarify — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the runtime only (what `make run` needs): the core and the report extra
RUNTIME := $(VENV)/.runtime
SAMPLE ?= post_training_predicted_label_csv
IMAGE  ?= openclarify:dev

.PHONY: help venv run run-model run-text test lint format typecheck pytest fuzz audit goldens sdk-configs bench image image-test clean

help:
	@echo "make run      create .venv, install the runtime only, run a bundled sample config"
	@echo "make run-model  post-training bias through a local model server (offline)"
	@echo "make run-text   text explanations through a local review model server (offline)"
	@echo "make test     lint, type-check and run the test suite"
	@echo "make fuzz     the full fuzzing run (10,000 configs, 1,000 datasets)"
	@echo "make audit    pip-audit of the installed dependencies"
	@echo "make goldens  regenerate golden files with smclarify 0.5 (side venv)"
	@echo "make bench    run the bias benchmark"
	@echo "make image    build the container image ($(IMAGE)); no registry needed"
	@echo "make image-test  the image tests alone (docker run, SDK local mode, multi-instance)"

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[report,image,text]'
	touch $(RUNTIME)

# the test, lint and Spark tools on top of the runtime
$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# A sample with its own run.py runs that; one with its own serve.py (time_series,
# image_classification, text_reviews) gets that model started first, on the port its
# config names.
run: $(RUNTIME)
	@sample=sample_configs/$(SAMPLE); \
	if [ -f $$sample/run.py ]; then $(BIN)/python $$sample/run.py out/$(SAMPLE); exit $$?; fi; \
	data=$$(ls $$sample | grep -v -e analysis_config.json -e README.md -e '\.py$$' | head -1); \
	if [ -f $$sample/serve.py ]; then \
	    port=$$($(BIN)/python -c "import json,sys; print(json.load(open(sys.argv[1]))['predictor']['openclarify']['endpoint_url'].rsplit(':', 1)[1])" $$sample/analysis_config.json); \
	    $(BIN)/python $$sample/serve.py --port $$port > /dev/null & server=$$!; trap "kill $$server" EXIT; \
	    for i in 1 2 3 4 5 6 7 8 9 10; do $(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$$port/ping', timeout=1)" 2>/dev/null && break; sleep 0.3; done; \
	fi; \
	echo "Running $$sample/analysis_config.json on $$sample/$$data"; \
	$(BIN)/openclarify analyze --config $$sample/analysis_config.json --dataset $$sample/$$data --output out/$(SAMPLE)

# Post-training bias through a model: a local server speaking the SageMaker protocol.
run-model: $(RUNTIME)
	@$(BIN)/python sample_configs/local_model_server/serve.py --port 8765 & server=$$!; \
	trap "kill $$server" EXIT; \
	for i in 1 2 3 4 5 6 7 8 9 10; do $(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8765/ping', timeout=1)" 2>/dev/null && break; sleep 0.3; done; \
	$(BIN)/openclarify analyze --config sample_configs/local_model_server/analysis_config.json \
	    --dataset sample_configs/post_training_predicted_label_csv/loans_scored.csv --output out/local_model_server

# Text explanations through a local review-sentiment model server (needs the text extra).
run-text:
	@$(MAKE) --no-print-directory run SAMPLE=text_reviews

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks sample_configs
	$(BIN)/ruff format --check src tests benchmarks sample_configs
	$(BIN)/hadolint Dockerfile

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks sample_configs
	$(BIN)/ruff check --fix src tests benchmarks sample_configs

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# The full fuzzing run (make test runs a fast subset); the tally is what README quotes.
fuzz: $(STAMP)
	mkdir -p out
	OPENCLARIFY_FUZZ_TALLY=out/fuzz_tally.json $(BIN)/python -m pytest -q -m fuzz tests/fuzz
	@cat out/fuzz_tally.json

# Known vulnerabilities in the installed dependencies (fails on any found).
audit: $(STAMP)
	$(BIN)/pip-audit --progress-spinner off

# Golden files come from smclarify 0.5 itself, in a pinned side environment.
.venv-golden/.installed: tests/golden/requirements.txt
	$(PYTHON) -m venv .venv-golden
	.venv-golden/bin/pip install --quiet -r tests/golden/requirements.txt
	touch $@

goldens: .venv-golden/.installed
	.venv-golden/bin/python tests/golden/make_goldens.py --sdk-configs

# Configs produced by the real SageMaker SDK generator (no AWS account needed).
.venv-sdk/.installed: tests/sdk_configs/requirements.txt
	$(PYTHON) -m venv .venv-sdk
	.venv-sdk/bin/pip install --quiet -r tests/sdk_configs/requirements.txt pyarrow
	touch $@

sdk-configs: .venv-sdk/.installed
	.venv-sdk/bin/python tests/sdk_configs/make_sdk_configs.py

# The official python base when it can be pulled, else one bootstrapped from Debian
# packages (container/bootstrap-base.sh); see README "Run it as a container".
image:
	container/build-image.sh $(IMAGE)

image-test: $(STAMP) .venv-sdk/.installed
	mkdir -p out
	OPENCLARIFY_IMAGE=$(IMAGE) OPENCLARIFY_IMAGE_FIGURES=out/image_figures.json \
	    $(BIN)/python -m pytest -q tests/image
	@cat out/image_figures.json

bench: $(STAMP)
	$(BIN)/python benchmarks/bias_bench.py

clean:
	rm -rf $(VENV) .venv-golden .venv-sdk out .mypy_cache .ruff_cache .pytest_cache
