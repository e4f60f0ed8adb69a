# ECG SNN co-design flow. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Optional knobs, passed through to the tools as environment variables.
export MODEL BEATS JOBS SPLIT WAVES TECH DB VECTORS RECORD GATE GATE_BEATS GATE_SIM SRAM_MIN_DEPTH BOARD

.PHONY: help setup test lint data train verilog fpga sim mutate power power-gate tech firmware retrain adapt adapt-eval explore report stream stream-eval clean

help: ## List the targets with one line each
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e . --config-settings editable_mode=compat 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import amaranth, cocotb, torch, wfdb" # fail here, not later, if the install broke
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (every target does this first)

test: $(STAMP) ## Run the whole test suite (CI runs `make lint tech test`; without `make tech` the gate-level tests skip)
	$(PY) -m pytest -n 2 tests

lint: $(STAMP) ## Lint and format-check with ruff
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

data: $(STAMP) ## Build the cached MIT-BIH beat dataset and build/reports/data.json
	$(PY) -m ecg_snn.data

train: $(STAMP) ## Train, convert, quantize and evaluate (SPLIT=inter|intra); writes the artifact and build/reports/train.json
	@start=$$(date +%s); $(PY) -m ecg_snn.model --split $${SPLIT:-inter}; rc=$$?; \
	echo "make train: $$(( $$(date +%s) - start )) s"; exit $$rc

verilog: $(STAMP) ## Emit Verilog, lint and synthesise MODEL (default model; LANES=N; weights as ROM, ROM=0: the loadable build) into build/verilog
	$(PY) -m ecg_snn.flow.verilog $(if $(MODEL),--model $(MODEL)) $(if $(LANES),--lanes $(LANES))

fpga: $(STAMP) ## Place and route the SPI-shelled accelerator (BOARD=icebreaker|ulx3s, MODEL, LANES): bitstream, build/reports/fpga.json
	$(PY) -m ecg_snn.flow.fpga $(if $(LANES),--lanes $(LANES))

sim: $(STAMP) ## Bit-exact RTL vs golden model on real beats (BEATS=N, MODEL=path, VECTORS=test_beats.npz, JOBS=N, WAVES=1, SPLIT=intra, LANES=N, ROM=1: weights as ROM)
	$(PY) -m ecg_snn.sim.run

mutate: $(STAMP) ## Plant each one-line bug of tests/mutants.toml in a copy of hw/; every one must be killed (build/reports/mutate.json)
	$(PY) -m ecg_snn.sim.mutate

power: $(STAMP) $(if $(filter-out 0,$(GATE)),tech) ## Energy per inference from RTL toggles on DS2 beats (TECH, MODEL, BEATS, LANES; weights as ROM, ROM=0: the loadable build; GATE=1: also gate level on osu018 + OpenSTA, GATE_BEATS=20, GATE_SIM=0: netlist + STA only, SRAM_MIN_DEPTH=128: memory plan)
	$(PY) -m ecg_snn.power

power-gate: ## Same as make power GATE=1
	$(MAKE) power GATE=1

TECH_LIB := build/tech/osu018/osu018_stdcells.lib
tech: $(TECH_LIB) ## Cell library (Debian qflow-tech-osu018, 180 nm) into build/tech and OpenSTA (Debian opensta)
	@command -v sta >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get install -y -q opensta >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q opensta >/dev/null; }; else echo "make tech: OpenSTA is missing; run: sudo apt-get install -y opensta"; exit 2; fi; }
	@command -v sta >/dev/null || { echo "make tech: the opensta package is installed but its sta is not on PATH ($$PATH)"; exit 2; }

$(TECH_LIB):
	@mkdir -p build/tech/deb
	cd build/tech/deb && { apt-get download -q qflow-tech-osu018 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -q >/dev/null && apt-get download -q qflow-tech-osu018; } || { echo "make tech: apt-get download qflow-tech-osu018 failed; run apt-get update (as root) and retry"; exit 2; }; }
	dpkg -x build/tech/deb/qflow-tech-osu018_*.deb build/tech/deb/root
	rm -rf build/tech/osu018 && cp -r build/tech/deb/root/usr/share/qflow/tech/osu018 build/tech/osu018

explore: $(STAMP) ## Sweep neuron mode x T x weight bits x lanes on the RTL (SPLIT, BEATS, JOBS, TECH); build/reports/explore.json
	$(PY) -m ecg_snn.explore

firmware: $(STAMP) ## Build the C reference, driver and weight image for MODEL into build/firmware
	$(PY) -m ecg_snn.firmware.build

retrain: $(STAMP) ## Retrain on your own WFDB recordings (DB=path, ARGS="--lead II ..."): new artifact, weight image, report
	@if [ -z "$(DB)" ]; then echo "make retrain: set DB to the folder of your WFDB recordings, e.g. make retrain DB=~/ecg/mydb ARGS='--lead II' (options: $(PY) -m ecg_snn.model.retrain --help)"; exit 2; fi
	$(PY) -m ecg_snn.model.retrain --db "$(DB)" $(ARGS)

adapt: $(STAMP) ## Personalise the chip to one patient (RECORD=name, DB=path or MIT-BIH, MINUTES=5 or BEATS=N): artifact, image, report
	@if [ -z "$(RECORD)" ]; then echo "make adapt: set RECORD to the record to calibrate on, e.g. make adapt RECORD=208 MINUTES=5 (DB=path for your own WFDB folder; options: $(PY) -m ecg_snn.model.adapt --help)"; exit 2; fi
	$(PY) -m ecg_snn.model.adapt --record "$(RECORD)" $(if $(DB),--db "$(DB)") $(if $(BEATS),--beats $(BEATS),--minutes $(or $(MINUTES),5)) $(ARGS)

adapt-eval: $(STAMP) ## Adapt on the first minutes of every DS2 record, score the rest (5 min, 2 min, 300 beats); build/reports/adapt.json
	$(PY) -m ecg_snn.model.adapt.evaluate $(ARGS)

stream: $(STAMP) ## Detect, classify and annotate one raw record (RECORD=name|path, RTL=1 adds Verilator); WFDB .snn + report
	@if [ -z "$(RECORD)" ]; then echo "make stream: set RECORD to an MIT-BIH name or a WFDB record path, e.g. make stream RECORD=208"; exit 2; fi
	$(PY) -m ecg_snn.stream "$(RECORD)" $(if $(RTL),--rtl)

stream-eval: $(STAMP) ## QRS Se/+P on all 48 MIT-BIH records vs open detectors, end-to-end DS2; build/reports/stream.json
	$(PY) -m ecg_snn.stream.evaluate

report: $(STAMP) ## Regenerate the docs' results sections from docs/reports (TAKE=sim,power: snapshot those build/reports first)
	$(PY) -m ecg_snn.report $(if $(TAKE),--take $(TAKE))

clean: ## Remove build outputs (keeps .venv)
	rm -rf build sim_build .pytest_cache
