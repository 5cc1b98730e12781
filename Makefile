# Quick start: `make demo` (the main job) and `make test` (lint, then tests).
# `make release` regenerates assignment1/ after a change to notebooks/ or cs231n_lib/.
# Both create or update the virtual environment .venv/ from the lock file
# requirements/dev.txt first; `make lock` updates the lock files (docs/development.md).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The shared copy of CIFAR-10 on the course machines; elsewhere the official download.
SHARED_ARCHIVE ?= ../shared/data/cifar10-jpeg.tar.xz
DATA_SOURCE := $(if $(wildcard $(SHARED_ARCHIVE)),--from $(SHARED_ARCHIVE),)
DEMO_OUT ?= build/demo

.PHONY: demo release test lint data bench venv clean red-team lock lock-check

# Install the locked environment requirements/dev.txt (exact versions, hash-checked),
# then the project itself, editable, without dependencies (they are all in the lock),
# then check that the lock still covers pyproject.toml. Re-run whenever pyproject.toml
# or a lock file changes; otherwise do nothing.
$(STAMP): pyproject.toml requirements/dev.txt requirements/grading.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) requirements/lock.py check
	@touch $@

# Re-resolve both lock files to the newest versions pyproject.toml allows and print what
# changed (uv does the resolution: installed into .venv/ on first use). On purpose only:
# between terms, or after a change to the dependencies in pyproject.toml.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	@$(PY) -c 'import tomllib' 2>/dev/null || $(PY) -m pip install --quiet tomli
	$(PY) requirements/lock.py update

# Offline: every requirement of pyproject.toml pinned within its range, with hashes, and
# the same versions in requirements/grading.txt and requirements/dev.txt.
lock-check:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) requirements/lock.py check

venv: $(STAMP)

data: $(STAMP)
	PYTHON=$(PY) bash get_datasets.sh $(DATA_SOURCE)

# The main job: run the five notebooks on the full data, regenerate the release,
# autograde three generated submissions and check each earns exactly its points.
# The ungraded bag-of-words extension of features.ipynb would add 4.5 minutes: it is
# skipped here, and tests/test_notebooks.py runs it at its grading-mode sizes.
demo: data
	CS231N_RUN_EXTENSION=0 $(PY) -m grading run-notebooks $(DEMO_OUT)/notebooks
	$(PY) -m grading release
	$(PY) -m grading samples $(DEMO_OUT)/samples
	rm -rf $(DEMO_OUT)/grades  # a fresh course folder: the demo grades every sample
	$(PY) -m grading autograde $(DEMO_OUT)/samples/submissions $(DEMO_OUT)/grades \
		--jobs 2 --expect $(DEMO_OUT)/samples/expected.json

# Build the student release assignment1/ from notebooks/ and cs231n_lib/.
release: $(STAMP)
	$(PY) -m grading release

# Style: ruff's lint rules and its formatter (pyproject.toml configures both).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest --durations=15

bench: data
	$(PY) bench/knn.py
	$(PY) bench/linear.py
	$(PY) bench/two_layer_net.py
	$(PY) bench/features.py
	$(PY) bench/bow.py
	$(PY) bench/grading.py
	$(PY) bench/course.py
	$(PY) bench/cluster.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache

# Grade the red-team class (tests/attacks.py) and print what happened to each attack:
# the table of docs/instructors.md's security section, also written to build/red-team.md.
red-team: data
	CI=1 $(PY) -m pytest -q -s tests/test_adversarial.py -k red_team_report
