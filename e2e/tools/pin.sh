#!/usr/bin/env bash
# Points the tool modules under e2e/tools at the versions pinned in the
# Makefile, then tidies them. Run through `make e2e-tools-pin` after changing
# a pin, and commit the go.mod/go.sum files it rewrites.
#
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go,
# ...) at v0.0.0 and replaces them with directories of its own repository,
# which a module depending on it cannot see. Each one is replaced here by its
# published release: kubernetes v1.X.Y ships them as v0.X.Y. The list is read
# from the kubernetes go.mod itself so that a new staging module is never missed.
set -euo pipefail

usage="usage: pin.sh KUBE_VERSION ETCD_VERSION KUBEVIRT_VERSION CERT_MANAGER_VERSION CONTROLLER_TOOLS_VERSION 'COMPAT_KUBE_VERSIONS' [HELM_VERSION] [PROMETHEUS_VERSION]"
kube_version=${1:?$usage}
etcd_version=${2:?$usage}
kubevirt_version=${3:?$usage}
cert_manager_version=${4:?$usage}
controller_tools_version=${5:?$usage}
compat_kube_versions=${6-}
helm_version=${7-}
prometheus_version=${8-}
tools=$(cd "$(dirname "$0")" && pwd)

# pin_kube DIR VERSION: points the wrapper module in DIR at k8s.io/kubernetes
# VERSION, its staging modules replaced by their releases.
pin_kube() {
	local dir=$1 version=$2 kube_mod staging m args
	cd "$dir"
	kube_mod=$(go mod download -json "k8s.io/kubernetes@$version" | awk -F'"' '$2 == "GoMod" {print $4}')
	[ -n "$kube_mod" ] || { echo "pin.sh: cannot download k8s.io/kubernetes@$version" >&2; exit 1; }
	staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$kube_mod")
	[ -n "$staging" ] || { echo "pin.sh: no staging replacements found in $kube_mod" >&2; exit 1; }
	# Drop replacements of a previous pin, then add this pin's.
	for m in $(go mod edit -json | awk -F'"' '/"Replace"/ {r=1} r && $2 == "Path" {print $4}' | sort -u); do
		go mod edit -dropreplace "$m"
	done
	args=(-require "k8s.io/kubernetes@$version")
	for m in $staging; do
		args+=(-replace "$m=$m@v0.${version#v1.}")
	done
	go mod edit "${args[@]}"
	go mod tidy
}

# kube: kube-apiserver, kubectl and the node commands (kubelet, controller-manager, scheduler, kube-proxy).
pin_kube "$tools/kube" "$kube_version"

# kube-1.N: kube-apiserver and kubectl of the older releases make
# test-compat runs; the directory names the minor, the pin its patch.
for v in $compat_kube_versions; do
	minor=${v#v}; minor=${minor%.*}
	[ -d "$tools/kube-$minor" ] || { echo "pin.sh: no wrapper module $tools/kube-$minor for $v" >&2; exit 1; }
	pin_kube "$tools/kube-$minor" "$v"
done

# etcd.
cd "$tools/etcd"
go mod edit -require "go.etcd.io/etcd/server/v3@$etcd_version"
go mod tidy

# crdgen: KubeVirt's schema. kubevirt.io/client-go replaces kube-openapi and
# openshift/api with pseudo-versions its API definitions were generated
# against; replacements do not carry over to dependents, so they are copied.
cd "$tools/crdgen"
go mod edit -require "kubevirt.io/client-go@$kubevirt_version" -require "kubevirt.io/api@$kubevirt_version"
kv_mod=$(go mod download -json "kubevirt.io/client-go@$kubevirt_version" | awk -F'"' '$2 == "GoMod" {print $4}')
for m in k8s.io/kube-openapi github.com/openshift/api; do
	v=$(awk -v m="$m" '$1 == m && $2 == "=>" {print $4} $1 == "replace" && $2 == m && $3 == "=>" {print $5}' "$kv_mod")
	[ -n "$v" ] || { echo "pin.sh: kubevirt.io/client-go@$kubevirt_version does not replace $m" >&2; exit 1; }
	go mod edit -replace "$m=$m@$v"
done
go mod tidy

# kvdhcp: KubeVirt's DHCP servers for the guest test. kubevirt.io/kubevirt
# builds its staging modules from its own tree and pins other modules by
# replace directives, which do not carry over: its staging modules at its
# release, its other replacements copied (those that name a version).
cd "$tools/kvdhcp"
for m in $(go mod edit -json | awk -F'"' '/"Replace"/ {r=1} r && $2 == "Path" {print $4}' | sort -u); do
	go mod edit -dropreplace "$m"
done
go mod edit -require "kubevirt.io/kubevirt@$kubevirt_version" \
	-replace "kubevirt.io/api=kubevirt.io/api@$kubevirt_version" \
	-replace "kubevirt.io/client-go=kubevirt.io/client-go@$kubevirt_version"
kv_mod=$(go mod download -json "kubevirt.io/kubevirt@$kubevirt_version" | awk -F'"' '$2 == "GoMod" {print $4}')
[ -n "$kv_mod" ] || { echo "pin.sh: cannot download kubevirt.io/kubevirt@$kubevirt_version" >&2; exit 1; }
awk '$1 == "replace" && $2 != "(" {$1 = ""} $2 == "=>" && $3 !~ /^\./ && NF == 4 {print $1 "=" $3 "@" $4}' "$kv_mod" | while read -r r; do
	go mod edit -replace "$r"
done
go mod tidy

# certmanager: cert-manager's API types and the CRD generator that reads them.
cd "$tools/certmanager"
go mod edit -require "github.com/cert-manager/cert-manager@$cert_manager_version"
go get -tool "sigs.k8s.io/controller-tools/cmd/controller-gen@$controller_tools_version"
go mod tidy

# helm: the chart's tests and the node test's helm install.
if [ -n "$helm_version" ]; then
	cd "$tools/helm"
	go mod edit -require "helm.sh/helm/v3@$helm_version"
	go mod tidy
fi

# promtool and promql-selectors: the alerts' tests.
if [ -n "$prometheus_version" ]; then
	cd "$tools/promtool"
	go mod edit -require "github.com/prometheus/prometheus@$prometheus_version"
	go mod tidy
fi
