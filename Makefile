# The two commands of the README: `make run` and `make test`.
SWIFT ?= swift

.PHONY: run test e2e build release deps-run deps-test format format-check clean

run: deps-run
	$(SWIFT) build --product sekisho
	$$($(SWIFT) build --show-bin-path)/sekisho serve

test: deps-test format-check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) e2e

# Browser tests: the real binary in headless Chromium (Debian's python with selenium and pytest).
e2e:
	SEKISHO_BIN=$$($(SWIFT) build --show-bin-path)/sekisho /usr/bin/python3 -m pytest -q Tests/e2e

build: deps-run
	$(SWIFT) build

release: deps-run
	$(SWIFT) build -c release --product sekisho

deps-run:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests

# Fails when a file is not formatted as `make format` would leave it.
format-check:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build
