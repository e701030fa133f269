PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run bench lint package wheelhouse

$(BIN)/python:
	$(shell command -v $(PY) || echo python3) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -rs

run: $(STAMP)
	$(BIN)/python -m chalicelib.cli run

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .

# The SAM template and Lambda zip of a stage (default prod) in build/package, then cfn-lint on it.
# Offline, from a wheelhouse: PIP_NO_INDEX=1 PIP_FIND_LINKS=$(CURDIR)/wheelhouse make package
STAGE ?= prod
package: $(STAMP)
	$(BIN)/python -m infra.package --stage $(STAGE) build/package
	$(BIN)/cfn-lint build/package/sam.json

# Every wheel the package needs, for Lambda (manylinux2014 x86_64, CPython 3.11) and for this machine.
wheelhouse: $(STAMP)
	$(BIN)/pip download -q -r requirements.txt -d wheelhouse
	$(BIN)/pip download -q -r requirements.txt -d wheelhouse --only-binary=:all: --implementation cp \
		--python-version 3.11 --abi cp311 --platform manylinux2014_x86_64 \
		$(foreach minor,17 18 19 20 21 22 23 24 25 26,--platform manylinux_2_$(minor)_x86_64)
