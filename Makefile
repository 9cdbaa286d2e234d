# Every target sets itself up: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Quiet TF's start-up chatter.
export TF_CPP_MIN_LOG_LEVEL ?= 2

DEMO_RUN ?= runs/demo-wavegan
DEMO_STEPS ?= 800
# wavegan_ac (WaveGAN asked for an instrument family) with its critic at d = 4, so that 800
# steps fit two CPU cores in about eight minutes; the rates decay to 0 over those steps.
DEMO_SET ?= model_dim=4 lr_decay_steps=$(DEMO_STEPS) checkpoint_every=100 sample_every=400

.PHONY: install demo test bench bench-quality bench-judge bench-face2music lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	$(BIN)/keras_avgan data demo notes
	$(BIN)/keras_avgan fit --recipe wavegan_ac --data demo --run-dir $(DEMO_RUN) \
	    --steps $(DEMO_STEPS) --eval-every 200 --set $(DEMO_SET)
	$(BIN)/keras_avgan generate --run-dir $(DEMO_RUN) -n 2 --sweep --seed 1
	$(BIN)/keras_avgan evaluate --run-dir $(DEMO_RUN) -n 256

# oneDNN off in tests: its reordered float sums would make bit-exact resume checks flaky.
# Two pytest workers, a test file each at a time (its module fixtures stay in one process):
# much of a test is single-threaded tracing, so two of them fill two cores.
TEST_WORKERS ?= 2
test: install
	TF_ENABLE_ONEDNN_OPTS=0 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

bench: install
	$(BIN)/python benchmarks/run.py

bench-quality: install
	$(BIN)/python benchmarks/quality.py

bench-judge: install
	$(BIN)/python benchmarks/judge_noise.py
	$(BIN)/python benchmarks/judge_spread.py

# face2music's ablation (the paper's Table 1) on the demo faces and notes.
bench-face2music: install
	$(BIN)/python benchmarks/face2music.py

lint: install
	$(BIN)/ruff check keras_avgan pipelines tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
