# Strongroom: `make run` serves the panel; `make test` runs every test. Both install what is
# missing first (see docs/toolchain.md for why each pin is what it is), and skip what is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# Exported for scripts/bin/wasm-opt, which finds npm's wasm-opt under it.
export TOOLS := $(CURDIR)/.tools
# scripts/bin/wasm-opt runs npm's wasm-opt (in .tools) with the Node flags that make it fast.
export PATH := $(CURDIR)/scripts/bin:$(TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# cargo-leptos sets this for its builds; setting it for every cargo call keeps `cargo test` and
# `cargo leptos build` from rebuilding each other's copy of leptos.
export LEPTOS_OUTPUT_NAME := strongroom

CARGO_LEPTOS_VERSION := 0.3.10
CARGO_DENY_VERSION := 0.20.2
BINARYEN_VERSION := 132.0.0
WASM_BINDGEN_VERSION = $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)
RELEASE_BIN := target/release/strongroom
# Says what each long step is, about how long it takes, and how long it took.
STEP := $(CURDIR)/scripts/step
# Compiling cargo-leptos is the longest install of a fresh `make run`: about 25 minutes as
# published. It is installed unoptimised (12 minutes here) except for the compressors it runs on
# every asset of every build: unoptimised they cost 24 s more per build, about 10 s with these
# crates optimised (docs/toolchain.md has the figures). wasm-bindgen is installed unoptimised
# too: 1.8 s a build instead of 0.5 s, the same output, and a 2-minute install instead of 4.
TOOL_PROFILE := CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
# Its brotli and gzip (libflate) encoders and what they call into.
TOOL_HOT_CRATES := brotli brotli-decompressor alloc-no-stdlib alloc-stdlib libflate libflate_lz77 \
	adler32 crc32fast dary_heap core2 hashbrown
TOOL_CONFIG := $(foreach crate,$(TOOL_HOT_CRATES),--config profile.release.package.$(crate).opt-level=3)
INTEROP_VENV := $(TOOLS)/interop-venv
# apt-get needs root; a developer's account gets sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run build test test-rust test-e2e test-interop bench tools test-tools interop-tools bench-tools deny-tools lint fmt clean

## run: build in release mode and serve the panel at http://127.0.0.1:3000 (data in ./data)
run: build
	./$(RELEASE_BIN) serve

## build: release build of the server and the optimised wasm bundle, with content-hashed
## asset names and .br/.gz copies of each asset
build: tools
	@$(STEP) "Building Strongroom (release)" "the longest step the first time; a few minutes after a change" \
		cargo leptos build --release --precompress --split

## test: Rust unit and integration tests, the Playwright suite and the official Python client,
## both against the release build
test: test-rust test-e2e test-interop

# One cargo call for every crate: one feature set, so leptos is built once, not twice.
test-rust:
	cargo test -p shared -p store -p scenario -p app -p server --features app/ssr

test-e2e: build test-tools
	cd end2end && npx playwright test

# The official Voximplant Python client (pinned in requirements.txt) over HTTPS.
test-interop: build interop-tools
	$(INTEROP_VENV)/bin/python server/tests/interop/python_client.py --binary $(RELEASE_BIN) --site-root target/site

## bench: release build, then every benchmark in bench/run.py; rewrites BENCHMARKS.md and exits
## non-zero when a run cannot be trusted (about 10 minutes; run it on an otherwise idle machine)
bench: build test-tools interop-tools bench-tools
	$(INTEROP_VENV)/bin/python bench/run.py

## lint: formatting, clippy (the wasm crate needs the wasm target), and cargo deny for licences,
## duplicate versions (reported) and sources (advisories need a host these machines cannot reach)
lint: tools deny-tools
	cargo fmt --all -- --check
	cargo clippy -p shared -p store -p scenario -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	cargo deny check --hide-inclusion-graph licenses bans sources

## deny-tools: cargo-deny (about 5 minutes on 2 cores, once)
deny-tools:
	@if [ "$$(cargo deny --version 2>/dev/null)" != "cargo-deny $(CARGO_DENY_VERSION)" ]; then \
		$(STEP) "Installing cargo-deny $(CARGO_DENY_VERSION)" "about 5 minutes on 2 cores, once" \
			cargo install cargo-deny --version $(CARGO_DENY_VERSION) --locked; \
	fi

fmt:
	cargo fmt --all

## tools: the wasm target, cargo-leptos, the wasm-bindgen CLI matching Cargo.lock, wasm-opt
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		$(STEP) "Installing cargo-leptos $(CARGO_LEPTOS_VERSION)" "about 12 minutes on 2 cores, once" \
			env $(TOOL_PROFILE) cargo install $(TOOL_CONFIG) cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked; \
	fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		$(STEP) "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) to match Cargo.lock" "about 2 minutes, once" \
			env $(TOOL_PROFILE) cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }
	@if [ "$$(wasm-opt --version 2>/dev/null | grep -o 'version [0-9]*')" != "version $(firstword $(subst ., ,$(BINARYEN_VERSION)))" ]; then \
		$(STEP) "Installing wasm-opt (npm binaryen $(BINARYEN_VERSION); Debian's binaryen breaks the wasm)" "under a minute" \
			npm install --prefix $(TOOLS) --no-save --no-audit --no-fund binaryen@$(BINARYEN_VERSION); \
	fi

## test-tools: Debian's Chromium and the end2end npm packages
test-tools:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	@if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then \
		cd end2end && npm ci --no-audit --no-fund; \
	fi

## bench-tools: wrk, the HTTP load generator (Debian)
bench-tools:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }

## interop-tools: a Python venv with the official Voximplant API client
interop-tools:
	@if [ ! -x $(INTEROP_VENV)/bin/python ] || [ server/tests/interop/requirements.txt -nt $(INTEROP_VENV)/.installed ]; then \
		python3 -m venv $(INTEROP_VENV) && \
		$(INTEROP_VENV)/bin/pip install --quiet --disable-pip-version-check -r server/tests/interop/requirements.txt && \
		touch $(INTEROP_VENV)/.installed; \
	fi

clean:
	cargo clean
	rm -rf $(TOOLS) end2end/node_modules end2end/test-results
