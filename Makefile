# Nishikawa Digital Residents. Two commands do all the set-up on a fresh machine:
#   make run    install, start the local chain, deploy, serve http://127.0.0.1:5000
#   make test   install, then the Python tests (unit, anvil, Chromium) and the Hardhat tests
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE22_DIR := toolchain/node22
# Hardhat 3 needs Node 22; npm ships it as a package (DESIGN.md section 7). Its bin folder goes
# first on PATH for every npm and Hardhat command below.
NODE22 := $(CURDIR)/$(NODE22_DIR)/node_modules/.bin
WITH_NODE22 := PATH="$(NODE22):$$PATH"
STAMPS := build/stamps
SOLIDITY := $(shell find contracts -name '*.sol' 2>/dev/null)
PO_FILES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install run test test-python test-contracts contracts translations fonts messages chromium screenshots bench-gas bench-gating bench-mint prod-local reliability clean

#: `make run PORT=5050` serves on another port; the sign-in domain (SITE_URL) follows it unless
#: SITE_URL is set.
PORT ?= 5000

help:
	@echo "make run    install everything, start the local chain, deploy, serve http://127.0.0.1:5000 (PORT=5050 for another port)"
	@echo "make test   install everything, run the Python and Hardhat tests"
	@echo "make screenshots   the main pages at 1280 and 360 px, ja and en, with demo data, into screenshots/"
	@echo "make bench-gas   gas of the resident contract against an OpenZeppelin reference"
	@echo "make bench-gating   10,000 residents: indexer catch-up, gated page throughput, chain calls, access removal"
	@echo "make bench-mint   1,000 residents minted end to end from a CSV (image, IPFS, chain)"
	@echo "make prod-local   the production profile here: PostgreSQL, Redis, anvil, indexer, gunicorn on :8000"
	@echo "make reliability   load, faults and hostile input against the production profile (< 15 min)"

$(STAMPS):
	mkdir -p $@

# Python: one virtualenv with the app and its test tools; reinstalled only when pyproject.toml changes.
$(STAMPS)/python: pyproject.toml | $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Node 22 first (installed with the machine's npm), then the project's npm packages under it.
$(STAMPS)/node22: $(NODE22_DIR)/package.json $(NODE22_DIR)/package-lock.json | $(STAMPS)
	cd $(NODE22_DIR) && npm ci --no-audit --no-fund --loglevel=error
	$(NODE22)/node --version
	touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/node22
	$(WITH_NODE22) npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMPS)/contracts: $(SOLIDITY) hardhat.config.js $(STAMPS)/npm
	$(WITH_NODE22) npx hardhat build --quiet
	touch $@

# js-ipfs, the real IPFS node the Kubo-client tests start (DESIGN.md section 4). When it cannot be
# installed here, those tests skip and say why; nothing else depends on it.
$(STAMPS)/ipfs: toolchain/ipfs/package.json toolchain/ipfs/package-lock.json $(STAMPS)/node22
	@if (cd toolchain/ipfs && $(WITH_NODE22) npm ci --no-audit --no-fund --loglevel=error); then touch $@; \
	else echo "Could not install js-ipfs in toolchain/ipfs; the IPFS daemon tests will be skipped."; fi

%.mo: %.po $(STAMPS)/python
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ --statistics

install: $(STAMPS)/python $(STAMPS)/npm
contracts: $(STAMPS)/contracts
translations: $(MO_FILES)

# The web font: Noto Sans JP subset to the characters the site uses (scripts/webfont.py); rebuilt
# only when the catalogues, the templates or the font change.
fonts: $(STAMPS)/python
	$(BIN)/python scripts/webfont.py

# Re-extract messages from the code into the catalogues and merge app/translations/pending/*.json
# (English msgid -> Japanese); lists what is still untranslated.
messages: $(STAMPS)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o app/translations/messages.pot app community minting
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/translations.py

run: install contracts translations fonts
	$(BIN)/residents dev --port $(PORT)

# Debian's Chromium for the browser tests, installed when missing and this user may.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "Could not install chromium; the browser tests will be skipped. Install it with: apt-get install -y chromium"; \
	else echo "Chromium is missing; the browser tests will be skipped. Install it with: sudo apt-get install -y chromium"; fi

test: install contracts translations fonts chromium $(STAMPS)/ipfs
	$(MAKE) --no-print-directory test-python test-contracts

test-python:
	@status=0; $(BIN)/pytest || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass."; fi; \
	exit $$status

test-contracts:
	$(WITH_NODE22) npx hardhat test nodejs

bench-gas: install contracts
	$(WITH_NODE22) npx hardhat run bench/gas/gas.js

bench-gating: install contracts
	$(BIN)/python bench/gating/gating.py

bench-mint: install contracts
	$(BIN)/python bench/mint/mint.py

# Forums at 10,000 residents and 100,000 posts: gunicorn, 8 clients, queries per page view.
.PHONY: bench-forums
bench-forums: install
	$(BIN)/python bench/forums/run.py

# The production profile on this machine (PostgreSQL and Redis must run on 127.0.0.1); Ctrl-C
# stops everything it started. PROD_LOCAL_ARGS="--ipfs-daemon" runs a real js-ipfs node too.
prod-local: install contracts translations
	$(BIN)/python scripts/prod_local.py $(PROD_LOCAL_ARGS)

reliability: install contracts translations $(STAMPS)/ipfs
	$(BIN)/python -u bench/reliability/reliability.py

# The home page, a thread, a meetup, an exchange event and the staff dashboard at 1280 and 360 px,
# in Japanese and English, with seeded demo data and no wallet, into screenshots/ (ignored by git).
screenshots: install translations fonts chromium
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf build $(VENV) node_modules $(NODE22_DIR)/node_modules $(MO_FILES) app/static/fonts screenshots
