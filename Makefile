# tootops — `make help` lists the targets.
GO       ?= go
# An execution count, not a duration: with a duration, Go up to 1.26 can fail a target with
# "context deadline exceeded" when the time runs out mid-input (golang/go#75804).
FUZZTIME ?= 30000x
# Minimising each new interesting input may take 60 s by default, with no executions
# meanwhile: it doubled a CI run's fuzzing. A count keeps it short (and off the deadline).
FUZZMINIMIZE ?= 2000x
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -s -w -X main.version=$(VERSION)

# Each fuzz target as package:Func; `go test -fuzz` takes one target per run.
FUZZ_TARGETS := \
	./commands:FuzzTokenize \
	./commands:FuzzParse \
	./config:FuzzParse \
	./bot/content:FuzzPlainText \
	./bot/content:FuzzSplit \
	./ops/pgarchive:FuzzObserver \
	./ops/backup:FuzzParseKey \
	./ops/release:FuzzParseNotes \
	./ops/release:FuzzParseVersion \
	./ops/compose:FuzzRewriteImages

.PHONY: help test setup vet fmt-check unit fuzz build docs release image

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

test: setup vet fmt-check unit fuzz ## everything CI runs: set-up, vet, gofmt, race tests, short fuzzing

setup: ## install and start what the tests need on a fresh machine
	@./scripts/test-setup.sh

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail when gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit: ## the test suite with the race detector
	$(GO) test -race -count=1 ./...

fuzz: ## a short run of every fuzz target (FUZZTIME=$(FUZZTIME))
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) $$pkg; \
	done

build: ## build bin/bot
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/bot ./cmd/bot

docs: ## regenerate docs/commands.md from the command registry
	$(GO) run ./cmd/bot help --markdown > docs/commands.md

# Static binaries for release; the tags carry the time zone database (CRON_TZ in scratch).
RELEASE_PLATFORMS := linux/amd64 linux/arm64
BUILD_FLAGS        = -trimpath -tags timetzdata -ldflags '$(LDFLAGS)'
DOCKER_GID        ?= 999

release: ## dist/tootops-$(VERSION)-linux-{amd64,arm64} and dist/SHA256SUMS
	@mkdir -p dist && rm -f dist/tootops-* dist/SHA256SUMS
	@set -e; for p in $(RELEASE_PLATFORMS); do \
		out=dist/tootops-$(VERSION)-$${p%/*}-$${p#*/}; echo "release $$out"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build $(BUILD_FLAGS) -o $$out ./cmd/bot; \
	done
	cd dist && sha256sum tootops-$(VERSION)-* > SHA256SUMS

image: ## the image tootops:$(VERSION) and :latest (packaging/Dockerfile; DOCKER_GID=$(DOCKER_GID))
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(BUILD_FLAGS) -o bin/bot-linux-amd64 ./cmd/bot
	@set -e; ctx=$$(mktemp -d); trap 'rm -rf "$$ctx"' EXIT; \
	DOCKER_GID=$(DOCKER_GID) ./packaging/context.sh "$$ctx"; \
	out=$$(DOCKER_BUILDKIT=0 docker build --build-arg DOCKER_GID=$(DOCKER_GID) --build-arg VERSION=$(VERSION) \
		-t tootops:$(subst +,-,$(VERSION)) -t tootops:latest "$$ctx" 2>&1) || { echo "$$out" >&2; exit 1; }
	@docker image ls tootops:$(subst +,-,$(VERSION))
