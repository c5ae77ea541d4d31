// Package rules holds the network admission rules for KubeVirt workloads.
// Every rule is a pure function over the raw object: it reads JSON, and
// answers with targeted JSON Patch operations, field errors and warnings.
// Nothing here knows about HTTP, and nothing here is global.
package rules

import (
	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// Operation is the admission operation the object arrives with.
type Operation string

const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
)

// Request is what the rules see of an admission request.
type Request struct {
	// Kind is the object's kind; versions are not distinguished.
	Kind schema.GroupVersionKind
	// Operation is CREATE or UPDATE; other operations pass untouched.
	Operation Operation
	// Object is the object's raw JSON.
	Object []byte
	// OldObject is the stored object's raw JSON, on UPDATE.
	OldObject []byte
}

// Result is what the rules answer.
type Result struct {
	// Patch holds targeted operations on the raw object.
	Patch []jsonpatch.Operation
	// Errors are the violations; any error denies the request.
	Errors field.ErrorList
	// Warnings are returned to the user, each a line under 120 characters.
	Warnings []string
	// Fired names each rule that patched, denied or warned, for metrics and
	// logs, in the order they ran.
	Fired []string
}

// Mutate runs the mutating rules (on CREATE) over the object.
func Mutate(cfg config.Config, req Request) Result {
	return Result{}
}

// Validate runs the validating rules (on CREATE and UPDATE) over the
// object, as it stands after mutation.
func Validate(cfg config.Config, req Request) Result {
	return Result{}
}
