// Package vmspectest holds the reference vmspec.Decode is held to in tests:
// encoding/json, the decoder the API server itself reads objects with.
package vmspectest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Decode reads one JSON object whole with encoding/json, numbers as
// json.Number; anything but a single JSON object is an error, as for
// vmspec.Decode.
func Decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object, not %s", vmspec.TypeName(v))
	}
	return m, nil
}

// Prune keeps of a decoded value what want names, by the rules of
// vmspec.Fields.
func Prune(v any, want vmspec.Fields) any {
	if want == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if child, ok := want[k]; ok {
				out[k] = Prune(e, child)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Prune(e, want)
		}
		return out
	}
	return v
}

// ToMaps turns the *vmspec.Object in a decoded value into the
// map[string]any encoding/json builds, to compare the two.
func ToMaps(v any) any {
	switch t := v.(type) {
	case *vmspec.Object:
		out := map[string]any{}
		for _, m := range t.Members() {
			out[m.Name] = ToMaps(m.Value)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = ToMaps(e)
		}
		return out
	}
	return v
}
