package vmspec_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec/vmspectest"
)

// testFields prunes like the rules do: some members whole, some pruned,
// arrays of pruned objects.
var testFields = vmspec.Fields{
	"metadata": {"name": vmspec.Whole, "labels": vmspec.Whole},
	"spec":     {"list": {"name": vmspec.Whole, "n": vmspec.Whole}, "x": vmspec.Whole},
	"é":        vmspec.Whole,
	"a/b":      {"c": vmspec.Whole},
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want string // JSON of the result, or "error: " and the message
	}{
		{`{}`, `{}`},
		{` {"spec": {"list": [1, {"name": "a", "other": [1,2]}, [ {"n": 1.50, "m": 2} ], null]}} `,
			`{"spec":{"list":[1,{"name":"a"},[{"n":1.50}],null]}}`},
		{`{"metadata": {"name": {"deep": [true, false, null, "s"]}, "namespace": "x"}}`,
			`{"metadata":{"name":{"deep":[true,false,null,"s"]}}}`},
		{`{"metadata": "not an object", "spec": []}`, `{"metadata":"not an object","spec":[]}`},
		{`{"spec": {"x": 1}, "spec": {"list": []}}`, `{"spec":{"list":[]}}`},
		{`{"\u00e9": 1, "a\/b": {"c": "\u0041", "d": 2}, "\u0078": 3}`, `{"a/b":{"c":"A"},"é":1}`},
		{`{"spec": {"x": "` + "\xff" + `"}}`, `{"spec":{"x":"` + "\ufffd" + `"}}`},
		{`{"spec": {"x": "\ud800"}}`, `{"spec":{"x":"` + "\ufffd" + `"}}`},
		{`{"other": {"deep": [1, 2, {"x": 3}]}, "spec": {"x": 1e400}}`, `{"spec":{"x":1e400}}`},
		{``, `error: not valid JSON: unexpected end of JSON input`},
		{`[]`, `error: must be a JSON object, not an array`},
		{`"x"`, `error: must be a JSON object, not a string`},
		{`null`, `error: must be a JSON object, not null`},
		{`12`, `error: must be a JSON object, not a number`},
		{`true`, `error: must be a JSON object, not a boolean`},
		{`{} {}`, `error: not valid JSON: data after the top-level value`},
		{`{}x`, `error: not valid JSON: data after the top-level value`},
		{`{"a":1`, `error: not valid JSON: unexpected end of JSON input`},
		{`{"other": [1,}`, `error: not valid JSON: `},
		{`[1,`, `error: not valid JSON: unexpected end of JSON input`},
	}
	for _, tt := range tests {
		got, err := vmspec.Decode([]byte(tt.in), vmspec.Compile(testFields))
		var s string
		if err != nil {
			s = "error: " + err.Error()
		} else {
			b, _ := json.Marshal(vmspectest.ToMaps(got))
			s = string(b)
		}
		if msg, isErr := strings.CutPrefix(tt.want, "error: "); isErr && strings.HasPrefix(s, "error: "+msg) {
			continue
		}
		if s != tt.want {
			t.Errorf("Decode(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

// FuzzDecodeEqualsEncodingJSON: for any input, Decode accepts exactly
// what encoding/json accepts, with the same message when the input is not
// an object, and keeps exactly the values encoding/json decodes, pruned.
func FuzzDecodeEqualsEncodingJSON(f *testing.F) {
	for _, pattern := range []string{"../../examples/*.yaml", "../rules/testdata/*.yaml", "../../webhook/testdata/hostile/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if strings.HasSuffix(file, ".yaml") {
				if data, err = yaml.YAMLToJSON(data); err != nil {
					continue // a multi-document example
				}
			}
			f.Add(data)
		}
	}
	f.Add([]byte(`{"spec": {"list": [{"name": "a", "n": 1}, {"n": "2"}], "x": {"y": [null]}}, "metadata": {"labels": {"a": "b"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ref, refErr := vmspectest.Decode(data)
		for _, want := range []vmspec.Fields{testFields, vmspec.Whole, {}} {
			got, err := vmspec.Decode(data, vmspec.Compile(want))
			if (err == nil) != (refErr == nil) {
				t.Fatalf("Decode error %v, encoding/json's %v", err, refErr)
			}
			if err != nil {
				if strings.HasPrefix(refErr.Error(), "must be") && err.Error() != refErr.Error() {
					t.Fatalf("Decode error %q, encoding/json's %q", err, refErr)
				}
				continue
			}
			if pruned := vmspectest.Prune(ref, want); !reflect.DeepEqual(vmspectest.ToMaps(got), pruned) {
				t.Fatalf("Decode = %#v\nencoding/json, pruned = %#v", got, pruned)
			}
		}
	})
}

// Duplicate names: the last value wins, in objects of every size, and the
// member keeps one place.
func TestDecodeDuplicates(t *testing.T) {
	for _, n := range []int{2, 3, 8, 9, 40} {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range n {
			fmt.Fprintf(&b, `"k%d": %d, "a": %d,`, i, i, i)
		}
		b.WriteString(`"a": "last"}`)
		got, err := vmspec.Decode([]byte(b.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != n+1 || got.Get("a") != "last" || got.Get(fmt.Sprintf("k%d", n-1)) != json.Number(fmt.Sprint(n-1)) {
			t.Errorf("%d: %d members, a = %v", n, got.Len(), got.Get("a"))
		}
	}
}

// TestFromMapsRefusesOtherTypes: a value that is not one encoding/json
// decodes into is a programming error, and panics saying which type.
func TestFromMapsRefusesOtherTypes(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "[]string") {
			t.Errorf("FromMaps([]string) recovered %v, want a panic naming []string", r)
		}
	}()
	vmspec.FromMaps([]any{[]string{"not", "an", "object"}})
}
