# SkillCert — two commands: `make run` and `make test`.
SHELL := /bin/bash
BIN := .build/debug/skillcert
PORT ?= 8080
VENV := .venv

.PHONY: deps build run test test-swift test-postgres test-browser test-e2e test-deploy test-fuzz guide bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	swift build

## Build, migrate, load the demo data and serve on http://127.0.0.1:$(PORT) with SQLite.
run: build
	$(BIN) keys generate
	$(BIN) migrate
	$(BIN) demo --scoring-session --certificates --completed-round
	@echo ""
	@echo "  SkillCert: open http://127.0.0.1:$(PORT)/ and sign in as admin / SkillCert-2026!"
	@echo "  (sample data; department accounts are listed above)"
	@echo ""
	$(BIN) serve --hostname 127.0.0.1 --port $(PORT)

## Every test: Swift suites on SQLite, persistence and HTTP suites again on PostgreSQL, the browser tests, a whole
## round end to end on both engines, the two-process failover on PostgreSQL, then API fuzzing.
test: deps
	swift build --build-tests
	$(MAKE) --no-print-directory test-swift test-postgres test-browser test-e2e test-deploy test-fuzz

test-swift:
	swift test --skip-build

test-postgres:
	bash scripts/with-postgres.sh swift test --skip-build --filter 'SkillCertPersistenceTests|SkillCertWebTests'

test-browser:
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/browser

## One certification round in the browser, plan to certificates and the verified dossier: on SQLite, then PostgreSQL.
test-e2e:
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e
	bash scripts/with-postgres.sh $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e

## Two `skillcert serve` processes on one PostgreSQL database: an exam continues on one after the other is killed.
test-deploy:
	bash scripts/with-postgres.sh $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/deploy

## schemathesis over every /api/v1 operation as staff, examiner, candidate and exam token: no 5xx, no schema or status drift.
test-fuzz:
	SKILLCERT_BIN=$(BIN) $(VENV)/bin/python tests/fuzz/run_fuzz.py

## The user guide's screenshots: run the browser tests (they write .build/screenshots/), then copy the pictures
## docs/guide/*.md reference into docs/guide/screenshots/.
guide: build
	$(MAKE) --no-print-directory test-browser
	@for f in $$(grep -oh 'screenshots/[a-z0-9-]*\.png' docs/guide/*.md | sort -u); do cp .build/screenshots/$${f#screenshots/} docs/guide/$$f; done

## Benchmarks on a release build (not part of make test): paper assembly against HiGHS; batch registration import;
## the exam's start burst and autosaves; certificate issuing, the batch PDF and public lookups.
# A small JPEG to stand for the holder's photo on every page of the batch PDF (skipped when absent).
BENCH_PHOTO ?= /usr/share/doc/nodejs/thin-white-stripe.jpg
bench: deps
	swift build -c release --product skillcert
	.build/release/skillcert bench assembly
	.build/release/skillcert bench import
	.build/release/skillcert bench exam
	.build/release/skillcert bench certificates $(if $(wildcard $(BENCH_PHOTO)),--photo $(BENCH_PHOTO))

clean:
	rm -rf .build data
