# mpesa-recon. `make demo` and `make test` do all set-up themselves on a fresh Debian machine.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

PG_PORT ?= 54329
export RECON_TEST_ADMIN_URL ?= postgresql://postgres@127.0.0.1:$(PG_PORT)/postgres

.PHONY: setup pg pg-stop build lint format check e2e test demo console-demo chaos asan bench check-deploy backup-drill \
	migrations release install release-check

setup:
	@scripts/setup.sh

pg: setup
	@scripts/pg.sh start $(PG_PORT) >/dev/null

pg-stop:
	@scripts/pg.sh stop $(PG_PORT)

build: setup
	swift build

lint:
	swift format lint --strict --recursive Sources Tests

format:
	swift format format --in-place --recursive Sources Tests

# The fast lane: lint first (no build needed), then the unit and integration tests against a real local PostgreSQL
# (started here) and loopback servers.
check: setup pg
	$(MAKE) --no-print-directory lint
	swift build --build-tests
	swift test

# The end-to-end lane over the built binaries: schemathesis against a real serve, the console in headless Chromium,
# the hostile statement files under /usr/bin/time.
e2e: setup pg
	swift build
	PG_PORT=$(PG_PORT) scripts/api-fuzz.sh
	PG_PORT=$(PG_PORT) scripts/console-test.sh
	RECON_PG_PORT=$(PG_PORT) scripts/statement-bombs.sh

# Everything CI runs (.ci/run): both lanes.
test: check e2e

demo: setup pg build
	@PG_PORT=$(PG_PORT) scripts/demo.sh

# The demo, then the console over its database with two demo logins until Ctrl-C.
console-demo: setup pg build
	@PG_PORT=$(PG_PORT) scripts/demo.sh --console

# The end-to-end chaos test at full size (2,000 payments); the test suite runs it at 120.
chaos: setup pg
	swift build --build-tests
	RECON_CHAOS_N=2000 swift test --filter ChaosTests

# The C-wrapper tests under AddressSanitizer/LeakSanitizer (leaks inside Foundation.Process and XCTest,
# which the tests use to run helpers, are suppressed in Tests/lsan.supp).
asan: setup pg
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp:print_suppressions=0 swift test --scratch-path .build-asan \
		--sanitize=address --filter "ReconPostgresTests|ReconHTTPTests|ReconReportsTests|DarajaTests"

# Every benchmark of Benchmarks/, each next to its baseline in the same run; writes Benchmarks/README.md.
bench: setup pg
	Benchmarks/run-all.sh

# The reference deployment (deploy/): promtool, systemd-analyze, nginx -t, and the units' commands live behind nginx
# (scripts/check-deploy.sh). Installs its tools with scripts/setup-ops.sh; not part of `make test`.
# RECON_BIN=path/to/mpesa-recon uses a built binary instead of building.
check-deploy:
	@[ -n "$$RECON_BIN" ] || $(MAKE) --no-print-directory build
	scripts/check-deploy.sh

# The backup and restore drill: pgBackRest full, differential and WAL archive of a throwaway cluster, restored to two
# points in time and to the latest, every table compared with the source (scripts/backup-drill.sh). Not part of
# `make test`. RECON_BIN as above (mpesa-recon-demo is taken from beside it).
backup-drill:
	@[ -n "$$RECON_BIN" ] || $(MAKE) --no-print-directory build
	scripts/backup-drill.sh

# The migrations of sql/ built into the binary (Sources/ReconPostgres/Migrations/EmbeddedMigrations.swift, written by
# scripts/embed-migrations.sh): run after adding a migration; SchemaVersionTests fails until then.
migrations:
	scripts/embed-migrations.sh

# The release: dist/mpesa-recon-VERSION-linux-ARCH.tar.gz (scripts/release.sh): the binary with the Swift runtime and
# the migrations inside, the console's templates beside it, deploy/, docs/, .env.example, install.sh.
release: setup
	scripts/release.sh

# `make install PREFIX=/opt/mpesa-recon`: the release above installed under PREFIX (bin/, share/mpesa-recon/).
PREFIX ?= /usr/local
install: setup
	scripts/release.sh --install "$(PREFIX)"

# The newest tarball of dist/ unpacked and installed into empty folders, then migrate, serve, the console and doctor
# run from the installed binary only (scripts/release-check.sh). Needs daraja-sim built (`make build`).
release-check: pg
	scripts/release-check.sh "$$(ls -t dist/mpesa-recon-*.tar.gz | head -1)"
