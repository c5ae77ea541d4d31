# vmnet-webhook: every command a developer or CI needs. `make help` lists them.

GO      ?= go
BIN     := $(CURDIR)/bin
WEBHOOK := $(BIN)/vmnet-webhook

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/vmnet-webhook.
	$(GO) build -trimpath -o $(WEBHOOK) ./cmd/vmnet-webhook

.PHONY: test
test: ## Run all tests.
	$(GO) test ./...

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
