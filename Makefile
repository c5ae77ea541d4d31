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

# Deployment. KUBECTL is the one the control-plane harness builds into bin/
# when present, else the one on PATH.
DOCKER  ?= docker
KUBECTL ?= $(if $(wildcard $(BIN)/kubectl),$(BIN)/kubectl,kubectl)
OVERLAY ?= cert-manager
OVERLAYS := cert-manager openshift

.PHONY: image
image: ## Build the container image: make image IMG=<reference>.
	@test -n "$(IMG)" || { echo "usage: make image IMG=<image reference>" >&2; exit 2; }
	$(DOCKER) build -t $(IMG) .

.PHONY: check-overlay
check-overlay:
	@case " $(OVERLAYS) " in *" $(OVERLAY) "*) ;; *) echo "OVERLAY must be one of: $(OVERLAYS)" >&2; exit 2;; esac

# The image is set in a temporary kustomization over the overlay, under the
# ignored .local/, so that deploying leaves the committed files as they are.
.PHONY: deploy
deploy: check-overlay ## Install: make deploy IMG=<reference> OVERLAY=cert-manager|openshift.
	@test -n "$(IMG)" || { echo "usage: make deploy IMG=<image reference> OVERLAY=cert-manager|openshift" >&2; exit 2; }
	@mkdir -p .local && tmp=$$(mktemp -d .local/deploy.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	sed -e 's|@OVERLAY@|$(OVERLAY)|' -e 's|@IMG@|$(IMG)|' manifests/deploy.kustomization.tmpl > "$$tmp/kustomization.yaml" && \
	$(KUBECTL) apply -k "$$tmp" && \
	$(KUBECTL) -n vmnet-system rollout status deployment/vmnet-webhook --timeout=5m

# The webhook configurations go first, so that no request is sent to a
# webhook that is being removed.
.PHONY: undeploy
undeploy: check-overlay ## Remove everything deploy installed: make undeploy OVERLAY=cert-manager|openshift.
	$(KUBECTL) delete mutatingwebhookconfiguration/vmnet-webhook validatingwebhookconfiguration/vmnet-webhook --ignore-not-found
	$(KUBECTL) delete -k manifests/overlays/$(OVERLAY) --ignore-not-found

FUZZTIME ?= 30s

.PHONY: fuzz
fuzz: ## Fuzz the rules (FUZZTIME each target, default 30s); new failures land in pkg/rules/testdata/fuzz.
	@for t in FuzzNoPanic FuzzPatchApplies FuzzIdempotent; do \
		$(GO) test ./pkg/rules -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -parallel 1 || exit 1; \
	done
