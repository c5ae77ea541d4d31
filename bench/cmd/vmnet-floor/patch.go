package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// patchFor is one --patch-for entry: the object's exact JSON and the
// operations answered to it.
type patchFor struct {
	object []byte
	ops    []jsonpatch.Operation
}

// patchTable picks a patch by the request's object bytes alone, without
// decoding the object: a length check, then a byte comparison, per entry.
// That is what lets the server-level floor+patch arm cost what the plain
// floor costs, apart from sending the patch.
type patchTable []patchFor

// lookup returns the operations of the entry whose object is exactly
// object, nil when there is none.
func (t patchTable) lookup(object []byte) []jsonpatch.Operation {
	for i := range t {
		if len(t[i].object) == len(object) && bytes.Equal(t[i].object, object) {
			return t[i].ops
		}
	}
	return nil
}

// loadPatchTable reads --patch-for values, OBJECT=PATCH each (split at the
// first "="). OBJECT is a file holding the object's JSON as the request
// carries it (surrounding whitespace ignored); PATCH a file holding the JSON
// Patch, as webhook.MarshalPatch writes it.
func loadPatchTable(specs []string) (patchTable, error) {
	var t patchTable
	for _, spec := range specs {
		objFile, patchFile, ok := strings.Cut(spec, "=")
		if !ok || objFile == "" || patchFile == "" {
			return nil, fmt.Errorf("--patch-for %q: want OBJECT.json=PATCH.json", spec)
		}
		data, err := os.ReadFile(objFile)
		if err != nil {
			return nil, fmt.Errorf("--patch-for %s: %v", spec, err)
		}
		object := bytes.TrimSpace(data)
		if !json.Valid(object) {
			return nil, fmt.Errorf("--patch-for %s: %s is not JSON", spec, objFile)
		}
		if t.lookup(object) != nil {
			return nil, fmt.Errorf("--patch-for %s: another entry has the same object", spec)
		}
		ops, err := readWirePatch(patchFile)
		if err != nil {
			return nil, fmt.Errorf("--patch-for %s: %v", spec, err)
		}
		t = append(t, patchFor{object: object, ops: ops})
	}
	return t, nil
}

// readWirePatch reads a JSON Patch into operations whose values stay the
// file's encoded JSON, so that answering it costs copying those bytes rather
// than encoding decoded values again, and checks that the server will send
// the file's bytes exactly: webhook.MarshalPatch of the operations must give
// them back.
func readWirePatch(file string) ([]jsonpatch.Operation, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	var wire []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("%s: not a JSON Patch: %v", file, err)
	}
	if len(wire) == 0 {
		return nil, fmt.Errorf("%s: empty JSON Patch", file)
	}
	ops := make([]jsonpatch.Operation, len(wire))
	for i, w := range wire {
		ops[i] = jsonpatch.Operation{Operation: w.Op, Path: w.Path}
		if w.Value != nil {
			ops[i].Value = w.Value
		}
	}
	again, err := webhook.MarshalPatch(ops)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%s: not written as the webhook writes a patch (webhook.MarshalPatch: compact JSON, op, path, value): the answer would differ from it", file)
	}
	return ops, nil
}
