# vmnet-webhook: every command a developer or CI needs. `make help` lists them.

# Versions of the local control plane used by the end-to-end tests and
# `make run`: set here and nowhere else. After changing one, run
# `make e2e-tools-pin` and commit what it rewrites under e2e/tools/.
KUBE_VERSION     := v1.37.2
ETCD_VERSION     := v3.7.3
KUBEVIRT_VERSION := v1.9.0
# The older pairings make test-compat runs besides the one above: the
# kube-apiserver and kubectl of each COMPAT_KUBE_VERSION (wrapper modules
# e2e/tools/kube-1.N) and the CRDs each COMPAT_KUBEVIRT_VERSION ships.
COMPAT_KUBE_VERSION     := v1.31.14 v1.32.13 v1.33.13 v1.34.4
COMPAT_KUBEVIRT_VERSION := v1.4.0 v1.5.0 v1.6.0 v1.7.0 v1.9.0
# cert-manager's CRDs, generated from its API types by controller-tools, for
# the dry run of the cert-manager overlay.
CERT_MANAGER_VERSION     := v1.21.2
CONTROLLER_TOOLS_VERSION := v0.23.0
# helm, for the chart's tests (make test) and the node test's helm install.
HELM_VERSION := v3.21.4
# Prometheus (its Go module's version: v0.X.Y is Prometheus 3.X.Y), for
# promtool test rules on the alerts and the PromQL parser of their tests.
PROMETHEUS_VERSION := v0.316.0
# The ServiceMonitor and PrometheusRule CRDs, from the prometheus-operator
# module, for the server-side dry run of the monitoring components.
PROMETHEUS_OPERATOR_VERSION := v0.85.0
# The PolicyReport CRD (wgpolicyk8s.io/v1alpha2) as Kyverno's module ships
# it, for the in-cluster audit's end-to-end test.
KYVERNO_VERSION := v1.19.1

GO      ?= go
# go.mod's toolchain line names the Go release that has the standard
# library's security fixes (govulncheck checks against it); let go fetch it
# through the module proxy when the installed one is older. Some installs
# default to GOTOOLCHAIN=local; a value set in the environment still wins.
export GOTOOLCHAIN ?= auto
BIN     := $(CURDIR)/bin
WEBHOOK := $(BIN)/vmnet-webhook
TOOLS   := $(CURDIR)/e2e/tools
# Each pinned version is written to a file under bin/.versions; the tools
# depend on that file, which changes only when the pin does, so they are
# rebuilt when a pin (or their go.mod) changes and never otherwise.
VERSIONS := $(BIN)/.versions
# $(call kube-ldflags,VERSION): the version the Kubernetes commands report.
kube-ldflags = -s -w $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(p).gitVersion=$(1) -X $(p).gitTreeState=clean \
	-X $(p).gitMajor=$(word 1,$(subst ., ,$(1:v%=%))) \
	-X $(p).gitMinor=$(word 2,$(subst ., ,$(1:v%=%))))
KUBE_LDFLAGS := $(call kube-ldflags,$(KUBE_VERSION))

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/vmnet-webhook.
	$(GO) build -trimpath -o $(WEBHOOK) ./cmd/vmnet-webhook

# Development certificates for serving locally: certs/ca.crt, tls.crt, tls.key.
# Extra names: make certs CERT_DNS=vmnet-webhook.vmnet-system.svc CERT_IPS=10.0.0.5
CERT_DNS ?=
CERT_IPS ?=

.PHONY: certs
certs: build ## Write a development CA and serving certificate into certs/.
	$(WEBHOOK) certs --dir certs $(foreach n,$(CERT_DNS),--dns $(n)) $(foreach i,$(CERT_IPS),--ip $(i))

# The end-to-end tests need bin/vmnet-webhook as well as the control plane
# (until cmd/vmnet-webhook exists, only the control plane).
.PHONY: test
test: $(if $(wildcard $(CURDIR)/cmd/vmnet-webhook),build) e2e-tools $(BIN)/helm $(BIN)/promtool ## Run all tests, end-to-end included.
	VMNET_TEST_HELM=$(BIN)/helm VMNET_TEST_PROMTOOL=$(BIN)/promtool VMNET_TEST_PROMQL_SELECTORS=$(BIN)/promql-selectors $(GO) test ./...
	cd $(TOOLS)/crdgen && $(GO) test ./...

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The kubectl plugin: the same binary as kubectl-vmnet on PATH, so that
# `kubectl vmnet audit` and `kubectl vmnet preview` work.
PLUGIN_DIR ?= $(HOME)/.local/bin

.PHONY: install-plugin
install-plugin: build ## Install the kubectl plugin: PLUGIN_DIR/kubectl-vmnet (default ~/.local/bin, which must be on PATH).
	install -d $(PLUGIN_DIR)
	install -m 0755 $(WEBHOOK) $(PLUGIN_DIR)/kubectl-vmnet

# Deployment. KUBECTL is the one the control-plane harness builds into bin/
# when present, else the one on PATH.
DOCKER  ?= docker
KUBECTL ?= $(if $(wildcard $(BIN)/kubectl),$(BIN)/kubectl,kubectl)
OVERLAY ?= self-managed
OVERLAYS := self-managed cert-manager openshift

# The image without Docker (build/image): the static binary, built with the
# Dockerfile's flags, in one layer on no base, running as 65532. Same source,
# same digest. Written to IMAGE_TAR as a docker-archive (docker load, podman
# load, ctr images import); PUSH=1 also pushes it to the registry IMG names.
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE_TAR  ?= $(BIN)/vmnet-webhook-image.tar
IMAGE_BIN  := $(BIN)/linux-$(IMAGE_ARCH)/vmnet-webhook
STATIC_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -buildvcs=false -ldflags="-s -w"
PUSH ?=

.PHONY: image
image: ## Build the image without Docker into bin/: make image IMG=<reference> [PUSH=1].
	@test -n "$(IMG)" || { echo "usage: make image IMG=<image reference> [PUSH=1]" >&2; exit 2; }
	$(STATIC_BUILD) -o $(IMAGE_BIN) ./cmd/vmnet-webhook
	$(GO) build -o $(BIN)/imagebuild ./build/image/imagebuild
	$(BIN)/imagebuild --binary $(IMAGE_BIN) --arch $(IMAGE_ARCH) --tag $(IMG) --out $(IMAGE_TAR) \
		$(if $(filter 1 true yes,$(PUSH)),--push)

.PHONY: docker-image
docker-image: ## Build the image with Docker from the Dockerfile: make docker-image IMG=<reference>.
	@test -n "$(IMG)" || { echo "usage: make docker-image IMG=<image reference>" >&2; exit 2; }
	$(DOCKER) build -t $(IMG) .

.PHONY: check-overlay
check-overlay:
	@case " $(OVERLAYS) " in *" $(OVERLAY) "*) ;; *) echo "OVERLAY must be one of: $(OVERLAYS)" >&2; exit 2;; esac

# The image is set in a temporary kustomization over the overlay, under the
# ignored .local/, so that deploying leaves the committed files as they are.
.PHONY: deploy
deploy: check-overlay ## Install: make deploy IMG=<reference> [OVERLAY=self-managed|cert-manager|openshift].
	@test -n "$(IMG)" || { echo "usage: make deploy IMG=<image reference> [OVERLAY=self-managed|cert-manager|openshift]" >&2; exit 2; }
	@mkdir -p .local && tmp=$$(mktemp -d .local/deploy.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	sed -e 's|@OVERLAY@|$(OVERLAY)|' -e 's|@IMG@|$(IMG)|' manifests/deploy.kustomization.tmpl > "$$tmp/kustomization.yaml" && \
	$(KUBECTL) apply -k "$$tmp" && \
	$(KUBECTL) -n vmnet-system rollout status deployment/vmnet-webhook --timeout=5m

# The webhook configurations go first, so that no request is sent to a
# webhook that is being removed; then 2 s for each API server's watch of
# them to bring the deletion, as the chart's pre-delete hook waits.
.PHONY: undeploy
undeploy: check-overlay ## Remove everything deploy installed: make undeploy [OVERLAY=self-managed|cert-manager|openshift].
	$(KUBECTL) delete mutatingwebhookconfiguration/vmnet-webhook validatingwebhookconfiguration/vmnet-webhook --ignore-not-found
	sleep 2
	$(KUBECTL) delete -k manifests/overlays/$(OVERLAY) --ignore-not-found

# The local control plane of the end-to-end tests, for trying the webhook by
# hand: see "Quick start" in README.md.
.PHONY: run
run: build e2e-tools ## Run kube-apiserver (KubeVirt's CRDs) with the webhook in front, until Ctrl-C.
	@$(GO) build -o $(BIN)/localcluster ./e2e/cmd/localcluster
	@$(BIN)/localcluster --dir .local

# Real Linux guests under qemu with the cloud-init seed built from VMs as the
# webhook stored them (e2e/guest): installs Debian packages when missing
# (root), builds the guest images once into the user's cache directory, and
# rewrites docs/guests.md from the run. Not part of make test.
GUEST_TIMEOUT ?= 75m

.PHONY: test-guest
test-guest: build e2e-tools $(BIN)/kvdhcp ## Boot real Linux guests (qemu) with what the webhook stored; writes docs/guests.md (~13 min).
	cd $(TOOLS)/kvdhcp && $(GO) test ./...
	e2e/guest/setup.sh
	VMNET_GUEST_TEST=1 GUEST_RESULTS=docs/guests.md $(GO) test ./e2e/guest -run '^TestGuests$$' -count=1 -v -timeout $(GUEST_TIMEOUT)

# The same with the cases CI leaves out for time (GUEST_ALL=1): more
# renderers and namings for the fix, the pod interface second and the
# second boot on Debian 12 and 13.
.PHONY: test-guest-all
test-guest-all: build e2e-tools $(BIN)/kvdhcp ## make test-guest and the cases CI leaves out; writes docs/guests.md (~33 min).
	cd $(TOOLS)/kvdhcp && $(GO) test ./...
	e2e/guest/setup.sh
	GUEST_ALL=1 VMNET_GUEST_TEST=1 GUEST_RESULTS=docs/guests.md $(GO) test ./e2e/guest -run '^TestGuests$$' -count=1 -v -timeout $(GUEST_TIMEOUT)

# The audit against a real kube-apiserver with thousands of stored VMs: time
# per audit, objects/s and the audit process's peak memory.
.PHONY: bench-audit
bench-audit: build e2e-tools ## Benchmark vmnet-webhook audit on 1000 and 4000 stored VMs (~2 min).
	$(GO) test ./e2e/ -run '^$$' -bench '^BenchmarkAudit$$' -benchtime 3x -count 1

.PHONY: bench-audit-cluster
bench-audit-cluster: build e2e-tools ## Benchmark the in-cluster audit (audit --serve, PolicyReports) on 10,000 stored VMs (~2 min).
	$(GO) test ./e2e/ -run '^$$' -bench '^BenchmarkAuditInCluster$$' -benchtime 1x -count 1 -timeout 30m

# The end-to-end core on older control planes: each cell pairs a
# kube-apiserver and kubectl (minor; the pinned KUBE_VERSION's in bin/, an
# older one's in bin/kube-1.N) with the CRDs a KubeVirt release ships. The
# tests skip what needs a field or version the served CRDs lack.
COMPAT_CELLS ?= 1.31:v1.4.0 1.32:v1.5.0 1.33:v1.6.0 1.34:v1.7.0 1.37:v1.4.0 1.37:v1.9.0
COMPAT_TESTS ?= ^(TestGuide|TestReservedPorts|TestDefaultsStored|TestServerDryRun|TestKubeVirtFields|TestExamples|TestEveryKind|TestOptOuts|TestControlledVMI|TestUpdateRatchets|TestIllTyped|TestIPv4Only|TestManifests|TestControlPlaneServes|TestWebhookDown|TestAuditTable|TestAuditJSON|TestPreview)
compat-kube-dir = $(if $(filter v$(1).%,$(KUBE_VERSION)),$(BIN),$(BIN)/kube-$(1))
COMPAT_TOOLS = $(sort $(foreach c,$(COMPAT_CELLS),$(call compat-kube-dir,$(word 1,$(subst :, ,$(c))))/kube-apiserver \
	$(BIN)/crds-kubevirt-$(word 2,$(subst :, ,$(c)))/.generated))

.PHONY: test-compat
test-compat: build e2e-tools $(COMPAT_TOOLS) ## Run the end-to-end core on each COMPAT_CELLS pairing of Kubernetes and KubeVirt.
	@set -e; for c in $(COMPAT_CELLS); do \
		k=$${c%%:*}; kv=$${c#*:}; \
		case " $(KUBE_VERSION) " in " v$$k."*) kd=$(BIN);; *) kd=$(BIN)/kube-$$k;; esac; \
		echo "=== Kubernetes $$($$kd/kubectl version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p') x KubeVirt $$kv CRDs"; \
		VMNET_E2E_KUBE_DIR=$$kd VMNET_E2E_CRDS=$(BIN)/crds-kubevirt-$$kv \
			$(GO) test ./e2e/ -count=1 -run '$(COMPAT_TESTS)' $(COMPAT_FLAGS); \
	done

# A real one-node Kubernetes on this machine (e2e/node): containerd, runc and
# the CNI plugins from Debian (installed with apt-get when missing), the
# kubelet, controller-manager, scheduler and kube-proxy at KUBE_VERSION, the
# image of `make image` imported; then the README's install path on it, and
# the Helm chart installed once.
# Needs root; undoes what it changes on the machine. Nothing leaves it.
NODE_IMG ?= localhost/vmnet-webhook:node-test
# The "new image" of the upgrade phases (make deploy, helm upgrade): the same
# build under a second reference. The pod template changes with it, so the
# Deployment replaces every pod as for a new release; nothing is pulled on
# the node either way.
NODE_IMG_NEXT ?= localhost/vmnet-webhook:node-test-next
NODE_TEST_FLAGS ?=

.PHONY: test-node
test-node: e2e-tools node-tools $(BIN)/helm ## Install with make deploy, then helm install, on a real one-node cluster built here (root).
	$(MAKE) --no-print-directory image IMG=$(NODE_IMG)
	$(BIN)/imagebuild --binary $(IMAGE_BIN) --arch $(IMAGE_ARCH) --tag $(NODE_IMG_NEXT) --out $(BIN)/vmnet-webhook-image-next.tar
	VMNET_TEST_NODE=1 VMNET_TEST_NODE_IMG=$(NODE_IMG) VMNET_TEST_NODE_IMG_NEXT=$(NODE_IMG_NEXT) \
		$(GO) test ./e2e/node -count=1 -v -timeout 20m $(NODE_TEST_FLAGS)

# Benchmarks and soak: load generator, floor server and report in bench/.
BENCH_FLAGS ?=
SOAK_DURATION ?= 60s

.PHONY: bench
# BASELINE=<commit> also measures that commit's vmnet-webhook beside this
# one, in the same rounds (built from `git archive`, so the work tree is
# left as it is).
BASELINE ?=

bench: build e2e-tools ## Measure against the floor and the CEL policies (~11 min, 14 with BASELINE); writes BENCHMARKS.md. [BASELINE=<commit>]
	$(GO) build -trimpath -o $(BIN)/vmnet-floor ./bench/cmd/vmnet-floor
	$(GO) build -trimpath -o $(BIN)/vmnet-bench ./bench/cmd/vmnet-bench
	$(if $(BASELINE),@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && git archive $(BASELINE) | tar -x -C "$$tmp" && \
		echo "baseline: vmnet-webhook of $(BASELINE) into bin/vmnet-webhook-baseline" && \
		(cd "$$tmp" && $(GO) build -trimpath -o $(BIN)/vmnet-webhook-baseline ./cmd/vmnet-webhook))
	$(BIN)/vmnet-bench $(if $(BASELINE),-baseline bin/vmnet-webhook-baseline -baseline-rev $(BASELINE)) $(BENCH_FLAGS)

.PHONY: soak
soak: build ## Mixed AdmissionReviews against bin/vmnet-webhook for SOAK_DURATION (60s): every answer and the RSS checked.
	$(GO) test ./bench/soak -run '^TestSoak$$' -count=1 -v -timeout 10m -soak.duration $(SOAK_DURATION)

# The product's packages: everything but the end-to-end tests and their tools.
PRODUCT_PKGS = $(shell $(GO) list ./... | grep -v '/e2e')

.PHONY: test-race
test-race: ## Run the product's unit tests with the race detector.
	$(GO) test -race $(PRODUCT_PKGS)

# Fuzzing: every Fuzz* target in the repository (or in the directories
# FUZZDIRS lists), FUZZTIME each: a duration, or a count of inputs such as
# 20000x (what CI uses: with Go 1.26 a duration can end in a spurious "context
# deadline exceeded", go.dev/issue/75804). New failures land in the package's
# testdata/fuzz; commit them with the fix. Every target's seeds and saved
# failures also run, without fuzzing, in make test and make test-race.
FUZZTIME ?= 30s
FUZZDIRS ?= $(shell grep -l '^func Fuzz' $$(git ls-files '*_test.go') | xargs -n1 dirname | sort -u)

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s): make fuzz FUZZTIME=5m|20000x [FUZZDIRS=pkg/rules].
	@set -e; for dir in $(FUZZDIRS); do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir/*_test.go); do \
			echo "fuzz ./$$dir $$t for $(FUZZTIME)"; \
			$(GO) test ./$$dir -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -parallel 1; \
		done; \
	done

# Vulnerabilities: govulncheck, and the Go vulnerability database built
# from the golang.org/x/vulndb module (its OSV files, indexed by that
# module's own indexdb command), so that only the Go module proxy is needed.
# The database is as recent as VULNDB_VERSION: to refresh it, set it to the
# version `go list -m golang.org/x/vulndb@latest` prints.
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018

$(BIN)/govulncheck: $(VERSIONS)/GOVULNCHECK
	GOBIN=$(BIN) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

$(BIN)/vulndb/index/db.json: $(VERSIONS)/VULNDB
	rm -rf $(BIN)/vulndb
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd "$$tmp" && \
		src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p') && \
		test -d "$$src/data/osv" || { echo "golang.org/x/vulndb@$(VULNDB_VERSION) has no data/osv" >&2; exit 1; }; \
		echo "indexing $$src/data/osv into $(BIN)/vulndb"; \
		$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out $(BIN)/vulndb

.PHONY: vuln
vuln: $(BIN)/govulncheck $(BIN)/vulndb/index/db.json ## Check for known vulnerabilities (govulncheck, database from the module proxy).
	$(BIN)/govulncheck -db file://$(BIN)/vulndb ./...

# --- Local control plane: etcd, kube-apiserver, kubectl, KubeVirt's CRDs ----

E2E_TOOLS := $(BIN)/kube-apiserver $(BIN)/kubectl $(BIN)/etcd $(BIN)/crds/.generated $(BIN)/crds-cert-manager/.generated \
	$(BIN)/crds-prometheus-operator/.generated $(BIN)/crds-policyreport/.generated

.PHONY: e2e-tools
e2e-tools: $(E2E_TOOLS) ## Build etcd, kube-apiserver, kubectl and KubeVirt's CRDs into bin/ (cached).

.PHONY: e2e-tools-pin
e2e-tools-pin: ## Point e2e/tools/*/go.mod at the versions pinned above.
	$(TOOLS)/pin.sh $(KUBE_VERSION) $(ETCD_VERSION) $(KUBEVIRT_VERSION) $(CERT_MANAGER_VERSION) $(CONTROLLER_TOOLS_VERSION) '$(COMPAT_KUBE_VERSION)' $(HELM_VERSION) $(PROMETHEUS_VERSION)

$(VERSIONS)/%: FORCE
	@mkdir -p $(@D)
	@echo '$($*_VERSION)' | cmp -s - $@ || echo '$($*_VERSION)' > $@

# Stops with a clear message when a pin and the go.mod that builds it disagree.
check-pin = @v=$$(cd $(TOOLS)/$(1) && $(GO) list -m -f '{{.Version}}' $(2)); \
	if [ "$$v" != "$(3)" ]; then echo "e2e/tools/$(1)/go.mod has $(2) $$v but the Makefile pins $(3): run 'make e2e-tools-pin'" >&2; exit 1; fi

# The Kubernetes commands are built once per set of inputs into a cache
# outside the clone, keyed by a hash of the pin, the link flags, the Go
# release and platform, and the wrapper module's go.mod and go.sum: CI starts
# from a fresh clone (an empty bin/) on the same machine, and building them
# takes minutes even with Go's build cache warm.
# $(call kube-build,CMD...,VERSION,MODULE,OUT) builds those of CMD... missing
# from the cache with the wrapper module e2e/tools/MODULE, then copies them
# into OUT. Entries unused for two weeks are removed.
KUBE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vmnet-webhook/kube
define kube-build
	@set -e; key=$$({ echo '$(2) $(call kube-ldflags,$(2))'; cd $(TOOLS)/$(3) && $(GO) env GOVERSION GOOS GOARCH && cat go.mod go.sum; } | sha256sum | cut -c1-16); \
	dir=$(KUBE_CACHE)/$$key; missing=; \
	for c in $(1); do [ -x $$dir/$$c ] || missing="$$missing k8s.io/kubernetes/cmd/$$c"; done; \
	if [ -n "$$missing" ]; then \
		echo "building$$missing ($(2)) into $$dir"; \
		tmp=$$dir/.tmp.$$$$; rm -rf $$tmp; mkdir -p $$tmp; \
		(cd $(TOOLS)/$(3) && nice $(GO) build -trimpath -ldflags '$(call kube-ldflags,$(2))' -o $$tmp/ $$missing) || { rm -rf $$tmp; exit 1; }; \
		mv $$tmp/* $$dir/ && rmdir $$tmp; \
	fi; \
	touch $$dir; find $(KUBE_CACHE) -mindepth 1 -maxdepth 1 -type d -mtime +14 -exec rm -rf {} +; \
	mkdir -p $(4); for c in $(1); do echo "$(4)/$$c from $$dir"; cp $$dir/$$c $(4)/.$$c.tmp && mv $(4)/.$$c.tmp $(4)/$$c; done
endef

$(BIN)/kube-apiserver $(BIN)/kubectl &: $(VERSIONS)/KUBE $(TOOLS)/kube/go.mod $(TOOLS)/kube/go.sum
	$(call check-pin,kube,k8s.io/kubernetes,$(KUBE_VERSION))
	$(call kube-build,kube-apiserver kubectl,$(KUBE_VERSION),kube,$(BIN))

# kube-apiserver and kubectl of an older release into bin/kube-1.N/.
compat-kube = $(filter v$(1).%,$(COMPAT_KUBE_VERSION))
.SECONDARY: $(VERSIONS)/COMPAT_KUBE
$(BIN)/kube-%/kube-apiserver $(BIN)/kube-%/kubectl: $(VERSIONS)/COMPAT_KUBE $(TOOLS)/kube-%/go.mod $(TOOLS)/kube-%/go.sum
	@test -n "$(call compat-kube,$*)" || { echo "no COMPAT_KUBE_VERSION of Kubernetes $*" >&2; exit 1; }
	$(call check-pin,kube-$*,k8s.io/kubernetes,$(call compat-kube,$*))
	$(call kube-build,kube-apiserver kubectl,$(call compat-kube,$*),kube-$*,$(BIN)/kube-$*)

NODE_TOOLS := $(BIN)/kubelet $(BIN)/kube-controller-manager $(BIN)/kube-scheduler $(BIN)/kube-proxy

$(NODE_TOOLS) &: $(VERSIONS)/KUBE $(TOOLS)/kube/go.mod $(TOOLS)/kube/go.sum
	$(call check-pin,kube,k8s.io/kubernetes,$(KUBE_VERSION))
	$(call kube-build,kubelet kube-controller-manager kube-scheduler kube-proxy,$(KUBE_VERSION),kube,$(BIN))

.PHONY: node-tools
node-tools: $(NODE_TOOLS) ## Build the node's kubelet, controller-manager, scheduler and kube-proxy into bin/ (cached).

$(BIN)/etcd: $(VERSIONS)/ETCD $(TOOLS)/etcd/go.mod $(TOOLS)/etcd/go.sum $(TOOLS)/etcd/main.go
	$(call check-pin,etcd,go.etcd.io/etcd/server/v3,$(ETCD_VERSION))
	cd $(TOOLS)/etcd && $(GO) build -trimpath -ldflags '-s -w' -o $@ .

# helm from its module, cached outside the clone like the Kubernetes commands
# (same reasons), keyed by the pin, the link flags, the Go release and
# platform, and the wrapper's go.mod and go.sum. The link flags are those of
# helm's own Makefile: its version, and the Kubernetes minor of its client-go
# as the default cluster version of `helm template` and `helm lint`.
HELM_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vmnet-webhook/helm

$(BIN)/helm: $(VERSIONS)/HELM $(TOOLS)/helm/go.mod $(TOOLS)/helm/go.sum
	$(call check-pin,helm,helm.sh/helm/v3,$(HELM_VERSION))
	@set -e; cd $(TOOLS)/helm; \
	minor=$$($(GO) list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2); \
	flags="-s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION)"; \
	for p in chartutil lint/rules; do flags="$$flags -X helm.sh/helm/v3/pkg/$$p.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/$$p.k8sVersionMinor=$$minor"; done; \
	key=$$({ echo "$(HELM_VERSION) $$flags"; $(GO) env GOVERSION GOOS GOARCH; cat go.mod go.sum; } | sha256sum | cut -c1-16); \
	dir=$(HELM_CACHE)/$$key; \
	if [ ! -x $$dir/helm ]; then \
		echo "building helm $(HELM_VERSION) into $$dir"; mkdir -p $$dir; \
		nice $(GO) build -trimpath -ldflags "$$flags" -o $$dir/.helm.$$$$ helm.sh/helm/v3/cmd/helm || { rm -f $$dir/.helm.$$$$; exit 1; }; \
		mv $$dir/.helm.$$$$ $$dir/helm; \
	fi; \
	touch $$dir; find $(HELM_CACHE) -mindepth 1 -maxdepth 1 -type d -mtime +14 -exec rm -rf {} +; \
	echo "$@ from $$dir"; cp $$dir/helm $@.tmp && mv $@.tmp $@

# promtool and promql-selectors (e2e/tools/promtool), cached outside the
# clone like helm, keyed by the pin, the build tags, the Go release and
# platform, and the wrapper's files. remove_all_sd (Prometheus's plugins/)
# leaves out the service discovery the rules' tests never use: half the
# cold build (192 s against 376 s on two cores).
PROMTOOL_TAGS := remove_all_sd
PROMTOOL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vmnet-webhook/promtool

$(BIN)/promtool $(BIN)/promql-selectors &: $(VERSIONS)/PROMETHEUS $(TOOLS)/promtool/go.mod $(TOOLS)/promtool/go.sum $(wildcard $(TOOLS)/promtool/promql-selectors/*.go)
	$(call check-pin,promtool,github.com/prometheus/prometheus,$(PROMETHEUS_VERSION))
	@set -e; cd $(TOOLS)/promtool; \
	key=$$({ echo "$(PROMETHEUS_VERSION) $(PROMTOOL_TAGS)"; $(GO) env GOVERSION GOOS GOARCH; cat go.mod go.sum promql-selectors/*.go; } | sha256sum | cut -c1-16); \
	dir=$(PROMTOOL_CACHE)/$$key; \
	if [ ! -x $$dir/promtool ] || [ ! -x $$dir/promql-selectors ]; then \
		echo "building promtool $(PROMETHEUS_VERSION) and promql-selectors into $$dir"; \
		tmp=$$dir/.tmp.$$$$; rm -rf $$tmp; mkdir -p $$tmp; \
		nice $(GO) build -tags $(PROMTOOL_TAGS) -trimpath -ldflags '-s -w' -o $$tmp/ github.com/prometheus/prometheus/cmd/promtool ./promql-selectors || { rm -rf $$tmp; exit 1; }; \
		mv $$tmp/* $$dir/ && rmdir $$tmp; \
	fi; \
	touch $$dir; find $(PROMTOOL_CACHE) -mindepth 1 -maxdepth 1 -type d -mtime +14 -exec rm -rf {} +; \
	for c in promtool promql-selectors; do echo "$(BIN)/$$c from $$dir"; cp $$dir/$$c $(BIN)/.$$c.tmp && mv $(BIN)/.$$c.tmp $(BIN)/$$c; done

# The ServiceMonitor and PrometheusRule CRDs as the prometheus-operator
# release ships them (example/prometheus-operator-crd), into
# bin/crds-prometheus-operator/.
$(BIN)/crds-prometheus-operator/.generated: $(VERSIONS)/PROMETHEUS_OPERATOR
	rm -rf $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		src=$$(cd "$$tmp" && $(GO) mod download -json github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p') && \
		test -d "$$src/example/prometheus-operator-crd" || { echo "cannot download github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION)" >&2; exit 1; }; \
		mkdir -p $(@D) && for k in servicemonitors prometheusrules; do \
			cp "$$src/example/prometheus-operator-crd/monitoring.coreos.com_$$k.yaml" $(@D)/ && chmod 0644 $(@D)/monitoring.coreos.com_$$k.yaml; \
		done
	@touch $@

# KubeVirt's own DHCP servers for the guest test (e2e/tools/kvdhcp), cached
# like helm, keyed by the Go release and platform and the helper's sources.
KVDHCP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vmnet-webhook/kvdhcp

$(BIN)/kvdhcp: $(TOOLS)/kvdhcp/go.mod $(TOOLS)/kvdhcp/go.sum $(TOOLS)/kvdhcp/main.go
	$(call check-pin,kvdhcp,kubevirt.io/kubevirt,$(KUBEVIRT_VERSION))
	@set -e; cd $(TOOLS)/kvdhcp; \
	key=$$({ $(GO) env GOVERSION GOOS GOARCH; cat go.mod go.sum main.go; } | sha256sum | cut -c1-16); \
	dir=$(KVDHCP_CACHE)/$$key; \
	if [ ! -x $$dir/kvdhcp ]; then \
		echo "building kvdhcp (kubevirt.io/kubevirt $(KUBEVIRT_VERSION)) into $$dir"; mkdir -p $$dir; \
		nice $(GO) build -trimpath -ldflags '-s -w' -o $$dir/.kvdhcp.$$$$ . || { rm -f $$dir/.kvdhcp.$$$$; exit 1; }; \
		mv $$dir/.kvdhcp.$$$$ $$dir/kvdhcp; \
	fi; \
	touch $$dir; find $(KVDHCP_CACHE) -mindepth 1 -maxdepth 1 -type d -mtime +14 -exec rm -rf {} +; \
	echo "$@ from $$dir"; mkdir -p $(BIN); cp $$dir/kvdhcp $@.tmp && mv $@.tmp $@

$(BIN)/crds/.generated: $(VERSIONS)/KUBEVIRT $(TOOLS)/crdgen/go.mod $(TOOLS)/crdgen/go.sum $(wildcard $(TOOLS)/crdgen/*.go)
	$(call check-pin,crdgen,kubevirt.io/client-go,$(KUBEVIRT_VERSION))
	rm -rf $(BIN)/crds
	cd $(TOOLS)/crdgen && $(GO) run . -o $(BIN)/crds
	@touch $@

# The CRDs a KubeVirt release ships, read from its kubevirt.io/kubevirt
# module (the operator's own schemas), into bin/crds-kubevirt-VERSION/.
$(BIN)/crds-kubevirt-%/.generated: $(VERSIONS)/COMPAT_KUBEVIRT $(TOOLS)/crdgen/go.mod $(TOOLS)/crdgen/go.sum $(wildcard $(TOOLS)/crdgen/*.go)
	@case " $(COMPAT_KUBEVIRT_VERSION) " in *" $* "*) ;; *) echo "$* is not a COMPAT_KUBEVIRT_VERSION" >&2; exit 1;; esac
	rm -rf $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		src=$$(cd "$$tmp" && $(GO) mod download -json kubevirt.io/kubevirt@$* | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p') && \
		test -d "$$src" || { echo "cannot download kubevirt.io/kubevirt@$*" >&2; exit 1; }; \
		echo "CRDs of KubeVirt $* from $$src"; \
		cd $(TOOLS)/crdgen && $(GO) run . -release "$$src" -o $(@D)
	@touch $@
.SECONDARY: $(VERSIONS)/COMPAT_KUBEVIRT

$(BIN)/crds-cert-manager/.generated: $(VERSIONS)/CERT_MANAGER $(VERSIONS)/CONTROLLER_TOOLS $(TOOLS)/certmanager/go.mod $(TOOLS)/certmanager/go.sum
	$(call check-pin,certmanager,github.com/cert-manager/cert-manager,$(CERT_MANAGER_VERSION))
	$(call check-pin,certmanager,sigs.k8s.io/controller-tools,$(CONTROLLER_TOOLS_VERSION))
	rm -rf $(BIN)/crds-cert-manager
	cd $(TOOLS)/certmanager && $(GO) tool controller-gen crd \
		paths=github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1 output:crd:dir=$(BIN)/crds-cert-manager
	@touch $@

# Copied from the github.com/kyverno/kyverno module (checked against the
# checksum database like any module), not generated: it is the CRD Kyverno
# installs and Policy Reporter reads.
POLICYREPORT_CRD := config/crds/policyreport/wgpolicyk8s.io_policyreports.yaml
$(BIN)/crds-policyreport/.generated: $(VERSIONS)/KYVERNO
	rm -rf $(@D)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		src=$$(cd "$$tmp" && $(GO) mod download -json github.com/kyverno/kyverno@$(KYVERNO_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p') && \
		test -f "$$src/$(POLICYREPORT_CRD)" || { echo "github.com/kyverno/kyverno@$(KYVERNO_VERSION) has no $(POLICYREPORT_CRD)" >&2; exit 1; }; \
		mkdir -p $(@D) && cp "$$src/$(POLICYREPORT_CRD)" $(@D)/ && chmod 644 $(@D)/*.yaml
	@touch $@

.PHONY: FORCE
FORCE:
