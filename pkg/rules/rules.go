// Package rules holds the network admission rules for KubeVirt workloads:
// pure functions from the raw object to targeted JSON Patch operations,
// field errors and warnings. Nothing here knows about HTTP.
package rules

import (
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Request is what the rules see of an admission request.
type Request struct {
	Kind      schema.GroupVersionKind // versions are not told apart
	Operation admissionv1.Operation   // CREATE or UPDATE; others pass untouched
	Object    []byte                  // the object's raw JSON
	OldObject []byte                  // the stored object's, on UPDATE
	UID       string                  // a MAC the rules assign is drawn from it
}

// Result is what the rules answer.
type Result struct {
	Patch    []jsonpatch.Operation // targeted operations on the raw object
	Errors   field.ErrorList       // any error denies the request
	Warnings []string              // lines under 120 characters, for the user
	// Fired names each rule that patched, denied or warned, in order, for
	// metrics and logs; Denied and Warned, those of them that added errors
	// and warnings, for audit. The names are the tables' and the Rule
	// constants.
	Fired, Denied, Warned []string
	NotChecked            []string // fields the rules cannot read (network data in a Secret)
}

// Rule names beside the tables', for a metric label's bounded set.
const (
	RuleMalformed            = "malformed"              // the object cannot be read
	RuleReservedPortsRatchet = "reserved-ports-ratchet" // reserved ports the stored object had
)

// mutators run in this order; each sees the object as patched so far.
var mutators = []rule[*mutation]{
	{"default-network", defaultNetwork},
	{"default-binding", defaultBinding},
	{"ipv6-cloud-init", ipv6CloudInit},
}

// validators run in this order, over the object as it stands after mutation.
var validators = []rule[*validation]{
	{"reserved-ports", reservedPorts},
	{"istio-ports", istioPorts},
	{"pod-cidrs", podCIDRs},
	{"mac-address", macAddress},
	{"cloud-init-limits", cloudInitLimits},
	{"windows-mtu", windowsMTU},
	{"user-network-data", userNetworkData},
}

type rule[state any] struct {
	name string
	run  func(state)
}

// Mutate runs the mutating rules on CREATE. An object it cannot read, or
// with a null entry in a list it patches, is left for validation to refuse.
func Mutate(cfg config.Config, req Request) Result {
	res, _ := mutate(cfg, req)
	return res
}

// mutate is Mutate that also returns the spec as the last rule read it.
func mutate(cfg config.Config, req Request) (Result, *vmspec.Spec) {
	if _, ok := vmspec.ShapeOf(req.Kind.GroupKind()); !ok || req.Operation != admissionv1.Create {
		return Result{}, nil
	}
	vm, err := vmspec.Read(req.Kind.GroupKind(), req.Object)
	if err != nil && err.Field == vmspec.Whole {
		return malformed(err), nil
	} else if err != nil || vm.Spec == nil || hasNullEntry(vm.Spec) {
		return Result{}, nil
	}
	m := &mutation{cfg: cfg, obj: newObject(vm), spec: vm.Spec, uid: req.UID}
	if m.obj.optedOut {
		return Result{}, nil
	}
	var res Result
	for _, r := range mutators {
		ops, warns := len(m.ops), len(m.warnings)
		r.run(m)
		count(&res, r.name, len(m.ops) > ops, false, len(m.warnings) > warns)
	}
	res.Patch, res.Warnings = m.ops, m.warnings
	return res, m.spec
}

// Validate runs the validating rules on CREATE and UPDATE, over the object
// as mutated. An object it cannot read gets one error, at the first member
// of the wrong type; the API server's schema names the rest.
func Validate(cfg config.Config, req Request) Result {
	if _, ok := vmspec.ShapeOf(req.Kind.GroupKind()); !ok || (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return Result{}
	}
	vm, err := vmspec.Read(req.Kind.GroupKind(), req.Object)
	if err != nil && cfg.Enforcement == config.Warn {
		return Result{Warnings: fit("", err.Field, err.Detail), Fired: []string{RuleMalformed}, Warned: []string{RuleMalformed}}
	} else if err != nil {
		return malformed(err)
	}
	if vm.Spec == nil {
		return Result{}
	}
	v := &validation{cfg: cfg, gk: req.Kind.GroupKind(), obj: newObject(vm), spec: vm.Spec, oldRaw: req.OldObject}
	var res Result
	for _, r := range validators {
		v.ratcheted = 0
		errs, warns := len(v.errs), len(v.warnings)
		r.run(v)
		denied, warned := len(v.errs) > errs, len(v.warnings)-v.ratcheted > warns
		count(&res, r.name, false, denied, warned)
		count(&res, RuleReservedPortsRatchet, false, false, v.ratcheted > 0)
	}
	res.Errors, res.Warnings, res.NotChecked = v.errs, v.warnings, v.notChecked
	return res
}

// count records that rule patched, denied or warned.
func count(res *Result, rule string, patched, denied, warned bool) {
	if patched || denied || warned {
		res.Fired = append(res.Fired, rule)
	}
	if denied {
		res.Denied = append(res.Denied, rule)
	}
	if warned {
		res.Warned = append(res.Warned, rule)
	}
}

// malformed answers an object that cannot be read.
func malformed(err *field.Error) Result {
	return Result{Errors: field.ErrorList{err}, Fired: []string{RuleMalformed}, Denied: []string{RuleMalformed}}
}
