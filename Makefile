# The two commands of the README: `make run` and `make test`. Each does all of its own set-up.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= var
PORT ?= 8080
# 127.0.0.1: only this machine reaches the page; HOST=0.0.0.0 lets phones on the network open gallery links.
HOST ?= 127.0.0.1
# Raspberry Pi OS ships picamera2 through apt only: there the venv must see the system site-packages;
# elsewhere it stays isolated so a desktop's own Python packages cannot leak in.
VENV_FLAGS ?= $(if $(wildcard /usr/lib/python3/dist-packages/picamera2),--system-site-packages,)
# Keeps glibc from returning large numpy buffers to the kernel every frame (see booth/vision/README.md).
export MALLOC_MMAP_THRESHOLD_ ?= 33554432
export MALLOC_TRIM_THRESHOLD_ ?= 67108864
# Two malloc arenas, as systemd/booth.service sets: the web threads' freed memory is not stranded.
export MALLOC_ARENA_MAX ?= 2
# numpy's linear algebra here is 3x3 and smaller: OpenBLAS's worker threads only spin (measured by make bench).
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: help venv install models media setup run test bench lint eval clean

help:
	@echo "make run    set up and start the booth on http://$(HOST):$(PORT) (HOST=0.0.0.0: for phones too)"
	@echo "make test   set up and run the whole test suite"
	@echo "make bench  per-stage latency against MediaPipe in the same run"
	@echo "make lint   ruff and the mypy type checker"

$(BIN)/python:
	$(PY) -m venv $(VENV_FLAGS) $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The stamp is redone when pyproject.toml or constraints.txt change.
$(VENV)/.installed-%: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$*]"
	touch $@

venv: $(BIN)/python

install: $(VENV)/.installed-test

models: install
	$(BIN)/booth models fetch

media: install
	$(BIN)/booth models fetch --media

setup: models media

run: setup
	$(BIN)/booth run --host $(HOST) --port $(PORT) --data $(DATA)

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m booth.bench

eval: setup
	$(BIN)/booth eval tests/data/labels.json tests/data/gaze_labels.json tests/data/expression_labels.json

lint: install
	$(BIN)/ruff check booth tests models
	$(BIN)/ruff format --check booth tests models
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
