// Package rules holds the network admission rules for KubeVirt workloads.
// Every rule is a pure function over the raw object: it reads JSON, and
// answers with targeted JSON Patch operations, field errors and warnings.
// Nothing here knows about HTTP, and nothing here is global.
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
	// Fired names each rule that patched, denied or warned, in the order
	// they ran, for metrics and logs: a name from the rule tables, or a
	// Rule constant.
	Fired []string
	// Denied and Warned name the rules of Fired that added errors and
	// warnings, for audit to count findings by rule and outcome.
	Denied, Warned []string
	// NotChecked names the fields the rules cannot read (network data in a
	// Secret), for audit to list.
	NotChecked []string
}

// Rule names are Result.Fired's values, a metric label's bounded set: those
// of the tables below, and these two.
const (
	RuleMalformed            = "malformed"              // the object cannot be read
	RuleReservedPortsRatchet = "reserved-ports-ratchet" // reserved ports the stored object had
)

// mutators run in this order; each sees the object as patched so far.
var mutators = []struct {
	name string
	run  func(*mutation)
}{
	{"default-network", defaultNetwork},
	{"default-binding", defaultBinding},
	{"ipv6-cloud-init", ipv6CloudInit},
}

// validators run in this order, over the object as it stands after mutation.
var validators = []struct {
	name string
	run  func(*validation)
}{
	{"reserved-ports", reservedPorts},
	{"istio-ports", istioPorts},
	{"pod-cidrs", podCIDRs},
	{"mac-address", macAddress},
	{"cloud-init-limits", cloudInitLimits},
	{"windows-mtu", windowsMTU},
	{"user-network-data", userNetworkData},
}

// Mutate runs the mutating rules on CREATE. An object it cannot read, or
// with a null entry in a list it patches, is left alone for validation to
// refuse.
func Mutate(cfg config.Config, req Request) Result {
	res, _ := mutate(cfg, req)
	return res
}

// mutate is Mutate, and also returns the spec as the last rule read it,
// or nil when no rule ran.
func mutate(cfg config.Config, req Request) (Result, *vmspec.Spec) {
	if _, ok := vmspec.ShapeOf(req.Kind.GroupKind()); !ok || req.Operation != admissionv1.Create {
		return Result{}, nil
	}
	vm, err := vmspec.Read(req.Kind.GroupKind(), req.Object)
	if err != nil {
		if err.Field == vmspec.Whole {
			return malformed(err), nil
		}
		return Result{}, nil
	}
	o := newObject(vm)
	if o.optedOut || vm.Spec == nil || hasNullEntry(vm.Spec) {
		return Result{}, nil
	}
	m := &mutation{cfg: cfg, obj: o, spec: vm.Spec, uid: req.UID}
	var fired, warned []string
	for _, r := range mutators {
		ops, warns := len(m.ops), len(m.warnings)
		r.run(m)
		if len(m.ops) > ops || len(m.warnings) > warns {
			fired = append(fired, r.name)
		}
		if len(m.warnings) > warns {
			warned = append(warned, r.name)
		}
	}
	return Result{Patch: m.ops, Warnings: m.warnings, Fired: fired, Warned: warned}, m.spec
}

// Validate runs the validating rules on CREATE and UPDATE, over the object
// as mutated. An object it cannot read gets one error, at the first member of
// the wrong type; the API server's schema names the rest.
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
	v := &validation{cfg: cfg, gk: req.Kind.GroupKind(), obj: newObject(vm), spec: vm.Spec}
	if req.Operation == admissionv1.Update {
		v.oldRaw = req.OldObject
	}
	var fired, denied, warned []string
	for _, r := range validators {
		v.fired, v.ratcheted = false, false
		errs, warns := len(v.errs), len(v.warnings)
		r.run(v)
		if v.fired {
			fired = append(fired, r.name)
		}
		name := r.name
		if v.ratcheted { // counted under a name of its own
			fired = append(fired, RuleReservedPortsRatchet)
			name = RuleReservedPortsRatchet
		}
		if len(v.errs) > errs {
			denied = append(denied, r.name)
		}
		if len(v.warnings) > warns {
			warned = append(warned, name)
		}
	}
	return Result{Errors: v.errs, Warnings: v.warnings, Fired: fired, Denied: denied, Warned: warned, NotChecked: v.notChecked}
}

// malformed answers an object that cannot be read.
func malformed(err *field.Error) Result {
	return Result{Errors: field.ErrorList{err}, Fired: []string{RuleMalformed}, Denied: []string{RuleMalformed}}
}
