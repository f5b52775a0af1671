# polyclaims — the two commands of the README.
#   make report   set up, run every claim at SCALE, write reports/
#   make test     set up, lint and format-check (ruff), run tests/ and `pytest claims/`
# Override the interpreter or the torch requirement: `make test PYTHON=.venv/bin/python TORCH=torch==2.5.1`.
PYTHON ?= python3
TORCH  ?= torch==2.13.0
SCALE  ?= standard
SEED   ?= 0
DEVICE ?= cpu
# reports whose answered-table rows the report adds after its own (Claim 3 by scale); empty: none
ANSWERED_ALSO ?= reports/paper-cpu-scaling/claims.json

.PHONY: setup test lint report bench clean

# torch first, pinned, and only when missing: an unpinned `torch` resolved by pip pulls several GB
# of CUDA packages, while torch==2.13.0 is a local CPU wheel on this kind of machine.
setup:
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "$(TORCH)"
	@$(PYTHON) -m pip install -q -e ".[test]"

test: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pytest tests claims --scale $(SCALE) -q

lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

report: setup
	$(PYTHON) -m claims.cli report --scale $(SCALE) --seed $(SEED) --device $(DEVICE) --out reports \
		$(foreach f,$(ANSWERED_ALSO),--answered-also $(f))

bench: setup
	$(PYTHON) benchmarks/step_speed.py
	$(PYTHON) benchmarks/reduced_ode.py
	$(PYTHON) benchmarks/scaling.py

clean:
	rm -rf .polyclaims-cache build *.egg-info
