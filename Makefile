# ECG SNN co-design flow. `make help` lists the targets and the variables each one takes.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Knobs the tools read from the environment (a variable given on the make command line is in
# the environment of every recipe anyway; this also passes the ones set with `export`).
export MODEL BEATS JOBS SPLIT WAVES WAVE_BEAT LANES ENGINE TECH DB VECTORS RECORD GATE GATE_BEATS GATE_SIM SRAM_MIN_DEPTH BOARD
# Compiled bytecode (and pytest's rewritten test modules) go to build/pycache, outside the
# source tree, also where the environment turned bytecode off: without it every command and every
# simulator process compiles the project's modules again.
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
unexport PYTHONDONTWRITEBYTECODE

# ---- One vocabulary of variables --------------------------------------------------------------
# DOC_X says what X means (the same thing in every target); VARS_<target> lists the variables a
# target takes. A variable on the command line that none of the requested targets takes is an
# error (a typo or a knob of another target would otherwise be silently ignored).
DOC_ARGS           := more options for the Python command of the target (its --help lists them)
DOC_SPLIT          := inter (DS1 -> DS2, default) or intra: which model, test beats and report
DOC_MODEL          := an artifact to use instead of the shipped model/artifacts/SPLIT.json
DOC_BEATS          := how many real test beats the target runs (sim: all, power 1000, fpga 5000)
DOC_JOBS           := parallel worker processes (default 2; explore: trials at a time)
DOC_EXPLORE        := the co-design search: full (default: Optuna on Ray Tune, >= 40 points) or smoke (3 tiny points)
DOC_LANES          := synapse lanes of the accelerator (default: the hardware default, fpga: the board)
DOC_ENGINE         := event (default: the general event-driven engine) or fused (the layer-fused count-domain engine, all-sum-then-fire artifacts, ROM only)
DOC_ROM            := 1: weights baked into the design, no load port (default of verilog, power); 0: the loadable build (default of sim, fpga)
DOC_RANDOM         := random and corner vectors after the real beats (default 20000)
DOC_CHIP           := sim: 0 skips the raw-ECG chip after the accelerator (default 1: 2 minutes of records 100 and 203 through hw/chip.py, bit-exact with run_stream; inter models only)
DOC_LIMITS         := directed limit cases: all (default), none, or a comma list
DOC_SPACE          := lane counts of the constrained-random points: all (default), none, or a comma list
DOC_WAVES          := 1: also trace one beat into a VCD (WAVE_BEAT=K picks it)
DOC_WAVE_BEAT      := the beat WAVES=1 traces (default: the first mismatch, else 0)
DOC_VECTORS        := an .npz of chip inputs (the test_beats.npz of a retrain) instead of MIT-BIH beats
DOC_TECH           := energy model technology: 22nm (default) or 45nm
DOC_GATE           := 1: also gate level on osu018 with OpenSTA (make tech first; power: the accelerator, qrs: the QRS block)
DOC_GATE_BEATS     := gate-level beats (default 20; with GATE=1 only, refused without it)
DOC_GATE_SIM       := 0: gate-level netlist and STA only, no simulation
DOC_SRAM_MIN_DEPTH := memory plan: memories from this depth become SRAM macros (default 128)
DOC_BOARD          := icebreaker (default) or ulx3s
DOC_DB             := a folder of your WFDB recordings
DOC_LEAD           := the ECG lead by name or index (default MLII, then fallbacks)
DOC_RECORD         := a record: an MIT-BIH name (208) or a WFDB record path
DOC_MINUTES        := calibration length in minutes (default 5)
DOC_CAL_BEATS      := calibration length in beats (instead of MINUTES)
DOC_RTL            := 1: also run the beats on the Verilator RTL
DOC_TAKE           := reports to snapshot into docs/reports first (comma list, e.g. sim,power)
DOC_KEEP           := content-keyed builds to keep per kind (default 1, the newest)

VARS_data        := LEAD ARGS
VARS_test        := ARGS JOBS
VARS_test-fast   := ARGS JOBS
VARS_train       := SPLIT ARGS
VARS_ship        := SPLIT ARGS
VARS_evaluate    := SPLIT MODEL DB LEAD ARGS
VARS_verilog     := MODEL LANES ENGINE ROM ARGS
VARS_fpga        := BOARD MODEL LANES ENGINE ROM BEATS ARGS
VARS_program     := BOARD ARGS
VARS_sim         := SPLIT MODEL BEATS JOBS LANES ENGINE ROM RANDOM LIMITS SPACE WAVES WAVE_BEAT VECTORS CHIP ARGS
VARS_mutate      := ARGS
VARS_power       := MODEL TECH BEATS JOBS LANES ENGINE ROM GATE GATE_BEATS GATE_SIM SRAM_MIN_DEPTH ARGS
VARS_power-gate  := $(filter-out GATE,$(VARS_power))
VARS_explore     := EXPLORE JOBS ARGS
VARS_firmware    := MODEL ARGS
VARS_retrain     := DB LEAD ARGS
VARS_adapt       := RECORD DB LEAD MINUTES CAL_BEATS ARGS
VARS_adapt-eval  := ARGS
VARS_stream      := RECORD MODEL LEAD RTL JOBS ARGS
VARS_stream-eval := MODEL ARGS
VARS_stream-noise := ARGS
VARS_qrs         := GATE ARGS
VARS_chip        := MODEL ARGS
VARS_report      := TAKE ARGS
VARS_clean-cache := KEEP ARGS
KNOBS := ARGS EXPLORE SPLIT MODEL BEATS JOBS LANES ENGINE ROM RANDOM LIMITS SPACE WAVES WAVE_BEAT VECTORS TECH GATE \
         GATE_BEATS GATE_SIM SRAM_MIN_DEPTH BOARD DB LEAD RECORD MINUTES CAL_BEATS RTL TAKE KEEP CHIP
empty :=
space := $(empty) $(empty)
comma := ,

GOALS := $(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))
GIVEN := $(strip $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v))))
TAKEN := $(sort $(foreach g,$(GOALS),$(VARS_$(g))))
UNUSED := $(filter-out $(TAKEN),$(GIVEN))
ifneq ($(UNUSED),)
$(error make $(GOALS): $(UNUSED) $(if $(filter $(KNOBS),$(UNUSED)),not taken by this target,unknown variable); it takes: $(or $(TAKEN),no variables) (make help))
endif
# flags are 0 or 1; a split is one of the splits
$(foreach v,ROM RTL WAVES GATE GATE_SIM CHIP,$(if $(filter-out 0 1,$($(v))),$(error $(v)=$($(v)): expected 0 or 1)))
$(if $(filter-out event fused,$(ENGINE)),$(error ENGINE=$(ENGINE): expected event or fused))
$(if $(filter-out inter intra,$(SPLIT)),$(error SPLIT=$(SPLIT): expected inter or intra))
$(if $(filter-out smoke full,$(EXPLORE)),$(error EXPLORE=$(EXPLORE): expected smoke or full))
# counts are whole numbers (MINUTES may have a decimal point): one line here, not a Python usage
digitless = $(strip $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst 5,,$(subst 6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1))))))))))))
$(foreach v,BEATS JOBS LANES RANDOM WAVE_BEAT GATE_BEATS SRAM_MIN_DEPTH CAL_BEATS KEEP,$(if $(or $(word 2,$($(v))),$(call digitless,$($(v)))),$(error $(v)=$($(v)): expected a whole number, e.g. $(v)=100)))
$(if $(or $(word 2,$(MINUTES)),$(call digitless,$(subst .,,$(MINUTES)))),$(error MINUTES=$(MINUTES): expected a number of minutes, e.g. MINUTES=5))
on = $(filter 1,$(1))
# The knobs the tools read from the environment, spelled out in front of each command make
# echoes, so the echoed line is the full command that repeats the run (copied into a shell
# without make, it does the same thing): those given on the command line or exported.
ENV_KNOBS := MODEL BEATS JOBS SPLIT WAVES WAVE_BEAT LANES ROM TECH VECTORS GATE GATE_BEATS \
             GATE_SIM SRAM_MIN_DEPTH BOARD ENGINE
shell_word = $(if $(or $(word 2,$(1)),$(findstring ~,$(1))),'$(1)',$(1))
ENVS := $(strip $(foreach v,$(filter $(TAKEN),$(ENV_KNOBS)),$(if $(and $(filter command environment,$(origin $(v))),$($(v))),$(v)=$(call shell_word,$($(v))))))
ENVS := $(if $(ENVS),$(ENVS) )

.PHONY: help setup test test-fast lint data train ship evaluate verilog fpga program sim mutate power power-gate tech firmware retrain adapt adapt-eval explore report stream stream-eval stream-noise qrs chip clean clean-cache

help: ## List the targets, the variables each one takes, and what every variable means
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' -v takes='$(foreach g,$(patsubst VARS_%,%,$(filter VARS_%,$(.VARIABLES))),$(g)=$(subst $(space),$(comma),$(strip $(VARS_$(g)))))' \
	  'BEGIN { n = split(takes, t, " "); for (i = 1; i <= n; i++) { split(t[i], kv, "="); v[kv[1]] = kv[2] } } \
	   { printf "  make %-11s %s\n", $$1, $$2; if (v[$$1] != "") { gsub(",", " ", v[$$1]); printf "  %-16s [%s]\n", "", v[$$1] } }'
	@echo "Variables (make TARGET NAME=value; a variable the target does not take is an error):"
	@$(foreach k,$(KNOBS),printf '  %-15s %s\n' '$(k)' '$(DOC_$(k))';)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	@echo "make setup: installing the pinned dependencies into $(VENV) (about 2 min: a line per package, and one every 10 s while pip works; full log $(VENV)/pip.log)"
	@start=$$(date +%s); ( while sleep 10; do echo "make setup: pip is still working ($$(( $$(date +%s) - start )) s)"; done ) & ticker=$$!; \
	$(VENV)/bin/pip install --disable-pip-version-check --progress-bar off -e . --config-settings editable_mode=compat > $(VENV)/pip.log 2>&1 & pip=$$!; \
	tail -n +1 -f --pid=$$pip $(VENV)/pip.log | grep --line-buffered -E "^(Collecting|Installing|Successfully|ERROR)" | sed -u -e "s/^/  pip: /" -e "s/^\(.\{110\}\).*/\1 .../"; \
	wait $$pip; rc=$$?; kill $$ticker; \
	if [ $$rc != 0 ]; then tail -n 20 $(VENV)/pip.log; echo "make setup: pip failed (exit $$rc); the full log is $(VENV)/pip.log"; exit $$rc; fi
	$(PY) -c "import amaranth, cocotb, sklearn, torch, wfdb" # fail here, not later, if the install broke
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the pinned dependencies (every target does this first)

test: $(STAMP) ## Run the whole test suite (CI runs `make lint tech test`; without `make tech` the gate-level tests skip)
	$(PY) -m pytest -n $(or $(JOBS),2) $(ARGS) tests

test-fast: $(STAMP) ## The tests not marked slow (no long Verilator runs over many beats)
	$(PY) -m pytest -n $(or $(JOBS),2) -m "not slow" $(ARGS) tests

lint: $(STAMP) ## Lint and format-check with ruff
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

data: $(STAMP) ## Build the cached MIT-BIH beat dataset and build/reports/data.json
	$(ENVS)$(PY) -m ecg_snn.data $(if $(LEAD),--lead "$(LEAD)") $(ARGS)

train: $(STAMP) ## Train, convert, quantize and evaluate: build/artifacts/SPLIT.json and build/reports/train.json (the shipped model is never touched: make ship)
	$(info $(ENVS)$(PY) -m ecg_snn.model --split $(or $(SPLIT),inter) $(ARGS))
	@start=$$(date +%s); $(ENVS)$(PY) -m ecg_snn.model --split $(or $(SPLIT),inter) $(ARGS); rc=$$?; \
	[ $$rc = 130 ] || echo "make train: $$(( $$(date +%s) - start )) s"; exit $$rc

ship: $(STAMP) ## Check build/artifacts/SPLIT.json (loads, validates, golden reproduces its accuracy), then replace the shipped model/artifacts/SPLIT.json
	$(ENVS)$(PY) -m ecg_snn.model.ship --split $(or $(SPLIT),inter) $(ARGS)

evaluate: $(STAMP) ## Score an artifact as it is on the split's test part (SPLIT, MODEL) or your WFDB folder (DB, LEAD): Se/+P/jκ, confusion and per-record tables and PNGs; a test-part look is logged in docs/model.md
	$(ENVS)$(PY) -m ecg_snn.model.evaluate $(if $(DB),--db "$(DB)") $(if $(LEAD),--lead "$(LEAD)") $(ARGS)

verilog: $(STAMP) ## Emit Verilog, lint and synthesise into build/verilog (weights as ROM; ROM=0: the loadable build; build/verilog-<config> for other lanes, ROM or model)
	$(ENVS)$(PY) -m ecg_snn.flow.verilog $(if $(MODEL),--model "$(MODEL)") $(if $(LANES),--lanes $(LANES)) $(if $(call on,$(ROM)),--rom) $(ARGS)

fpga: $(STAMP) ## Place and route the SPI-shelled accelerator: bitstream, build/reports/fpga.json
	$(ENVS)$(PY) -m ecg_snn.flow.fpga $(if $(LANES),--lanes $(LANES)) $(if $(call on,$(ROM)),--rom) $(ARGS)

program: $(STAMP) ## Load build/fpga/BOARD's bitstream into the board on USB (iceprog / openFPGALoader from Debian, installed when missing; ARGS=--flash: keep it at power-off); wiring: docs/board.md
	$(ENVS)$(PY) -m ecg_snn.flow.program $(ARGS)

sim: $(STAMP) ## Bit-exact RTL vs golden model on real beats (the loadable build; ROM=1: weights as ROM); build/reports/sim.json (other configurations: sim-<config>.json); then the raw-ECG chip on 2 min of 100 and 203 (CHIP=0: not)
	$(ENVS)$(PY) -m ecg_snn.sim.run $(if $(RANDOM),--random $(RANDOM)) $(if $(LIMITS),--limits $(LIMITS)) $(if $(SPACE),--space $(SPACE)) $(ARGS)
	$(if $(or $(filter 0,$(CHIP)),$(filter intra,$(SPLIT))),,$(ENVS)$(PY) -m ecg_snn.stream.chip --records 100,203 --seconds 120 --no-synth --report build/reports/sim_chip.json $(if $(MODEL),--model $(MODEL)))

mutate: $(STAMP) ## Plant each one-line bug of tests/mutants.toml in a copy of hw/; every one must be killed (build/reports/mutate.json)
	$(ENVS)$(PY) -m ecg_snn.sim.mutate $(ARGS)

power: $(STAMP) $(if $(call on,$(GATE)),tech) ## Energy per inference from RTL toggles on DS2 beats (weights as ROM; ROM=0: the loadable build; GATE=1: also gate level on osu018 + OpenSTA)
	$(ENVS)$(PY) -m ecg_snn.power $(ARGS)

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

explore: $(STAMP) tech ## Co-design search on Ray Tune: every point trained and scored by DS1 CV, measured on the RTL and osu018; build/reports/explore.json (RAY_ADDRESS: a cluster)
	$(ENVS)$(PY) -m ecg_snn.explore $(if $(EXPLORE),--preset $(EXPLORE)) $(ARGS)

firmware: $(STAMP) ## Build the C reference, driver and weight image for MODEL into build/firmware
	$(ENVS)$(PY) -m ecg_snn.firmware.build $(ARGS)

retrain: $(STAMP) ## Retrain on your own WFDB recordings (DB=path, LEAD=II): new artifact, weight image, report
	@if [ -z "$(DB)" ]; then echo "make retrain: set DB to the folder of your WFDB recordings, e.g. make retrain DB=~/ecg/mydb LEAD=II (options: $(PY) -m ecg_snn.model.retrain --help)"; exit 2; fi
	$(ENVS)$(PY) -m ecg_snn.model.retrain --db "$(DB)" $(if $(LEAD),--lead "$(LEAD)") $(ARGS)

adapt: $(STAMP) ## Personalise the chip to one patient (RECORD=name; MINUTES=5 or CAL_BEATS=N of calibration): artifact, image, report
	@if [ -z "$(RECORD)" ]; then echo "make adapt: set RECORD to the record to calibrate on, e.g. make adapt RECORD=208 MINUTES=5 (DB=path for your own WFDB folder; options: $(PY) -m ecg_snn.model.adapt --help)"; exit 2; fi
	@if [ -n "$(MINUTES)" ] && [ -n "$(CAL_BEATS)" ]; then echo "make adapt: give MINUTES or CAL_BEATS, not both"; exit 2; fi
	$(ENVS)$(PY) -m ecg_snn.model.adapt --record "$(RECORD)" $(if $(DB),--db "$(DB)") $(if $(LEAD),--lead "$(LEAD)") $(if $(CAL_BEATS),--beats $(CAL_BEATS),--minutes $(or $(MINUTES),5)) $(ARGS)

adapt-eval: $(STAMP) ## Adapt on the first minutes of every DS2 record, score the rest (5 min, 2 min, 300 beats); build/reports/adapt.json
	$(ENVS)$(PY) -m ecg_snn.model.adapt.evaluate $(ARGS)

stream: $(STAMP) ## Detect, classify and annotate one raw record (RECORD=name|path, RTL=1 adds Verilator); WFDB .snn + report
	@if [ -z "$(RECORD)" ]; then echo "make stream: set RECORD to an MIT-BIH name or a WFDB record path, e.g. make stream RECORD=208 (LEAD=II to choose a lead)"; exit 2; fi
	$(ENVS)$(PY) -m ecg_snn.stream "$(RECORD)" $(if $(LEAD),--lead "$(LEAD)") $(if $(call on,$(RTL)),--rtl) $(ARGS)

stream-eval: $(STAMP) ## QRS Se/+P on all 48 MIT-BIH records vs open detectors, end-to-end DS2; build/reports/stream.json
	$(ENVS)$(PY) -m ecg_snn.stream.evaluate $(if $(MODEL),--model "$(MODEL)") $(ARGS)

stream-noise: $(STAMP) ## QRS Se/+P of ours vs XQRS under synthetic em/ma/bw noise at 24..-6 dB (NSTDB recipe, records 118, 119); build/reports/noise.json
	$(ENVS)$(PY) -m ecg_snn.stream.noise $(ARGS)

qrs: $(STAMP) $(if $(call on,$(GATE)),tech) ## The QRS detector block (hw/qrs.py): Verilog, lint, Yosys, bit-exact vs golden on Verilator over 5 min of 100, 105, 108, 203, 222; build/reports/qrs.json (GATE=1: also gate level on osu018 over their first minute, energy and OpenSTA: qrs_gate.json, about 4 min)
	$(ENVS)$(PY) -m ecg_snn.sim.qrs $(ARGS)
	$(if $(call on,$(GATE)),$(ENVS)$(PY) -m ecg_snn.power.qrs)

chip: $(STAMP) ## The chained chip (hw/chip.py: QRS detector -> beat front end -> accelerator, weights as ROM): Verilog, lint, Yosys, bit-exact vs run_stream on Verilator (records 100, 105, 203 whole; ARGS="--records all --no-synth": the 48, about 8 min); build/reports/chip.json
	$(ENVS)$(PY) -m ecg_snn.stream.chip $(if $(MODEL),--model "$(MODEL)") $(ARGS)

report: $(STAMP) ## Regenerate the docs' results sections from docs/reports (TAKE=sim,power: snapshot those build/reports first)
	$(ENVS)$(PY) -m ecg_snn.report $(if $(TAKE),--take $(TAKE)) $(ARGS)

clean: ## Remove build outputs (keeps .venv)
	rm -rf build sim_build .pytest_cache

clean-cache: $(STAMP) ## Prune build/: content-keyed Verilator, RTL and synthesis builds but the newest KEEP of each kind, old sim runs, stale temporaries
	$(ENVS)$(PY) -m ecg_snn.sim.prune $(if $(KEEP),--keep $(KEEP)) $(ARGS)
