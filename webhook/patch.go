package webhook

import (
	"encoding/json"

	"gomodules.xyz/jsonpatch/v2"
)

// MarshalPatch encodes operations as the JSON Patch sent to the API server.
// It writes what jsonpatch.Operation's own MarshalJSON writes (the value
// kept, even null, on add and replace, and omitted when empty otherwise), but
// in one pass: through MarshalJSON, encoding/json would encode each operation
// twice and then compact it.
func MarshalPatch(ops []jsonpatch.Operation) ([]byte, error) {
	wire := make([]any, len(ops))
	for i, op := range ops {
		if op.Operation == "add" || op.Operation == "replace" {
			wire[i] = wireOp{op.Operation, op.Path, op.Value}
		} else {
			wire[i] = wireOpOmitValue{op.Operation, op.Path, op.Value}
		}
	}
	return json.Marshal(wire)
}

type wireOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

type wireOpOmitValue struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}
