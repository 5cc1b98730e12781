# Quick start: `make demo` (the main job) and `make test` (lint, then tests).
# Both create or update the virtual environment .venv/ from pyproject.toml first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The shared copy of CIFAR-10 on the course machines; elsewhere the official download.
SHARED_ARCHIVE ?= ../shared/data/cifar10-jpeg.tar.xz
DATA_SOURCE := $(if $(wildcard $(SHARED_ARCHIVE)),--from $(SHARED_ARCHIVE),)
DEMO_OUT ?= build/demo

.PHONY: demo test lint data bench venv clean

# Re-run the install whenever pyproject.toml changes; otherwise do nothing.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

data: $(STAMP)
	PYTHON=$(PY) bash get_datasets.sh $(DATA_SOURCE)

demo: data
	MPLBACKEND=Agg $(PY) scripts/knn_demo.py --out $(DEMO_OUT)
	MPLBACKEND=Agg $(PY) scripts/linear_demo.py --out $(DEMO_OUT)

lint: $(STAMP)
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

bench: data
	$(PY) bench/knn.py
	$(PY) bench/linear.py
	$(PY) bench/features.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
