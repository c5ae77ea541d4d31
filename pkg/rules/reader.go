package rules

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// finding is one violation: the field error that denies, and the short
// text that stands in for it as a warning when enforcement is warn.
type finding struct {
	err   *field.Error
	short string
}

// reader reads fields of a decoded object, strictly: it records a finding
// for every field it reads that has the wrong type. A nil reader (mutation,
// the old object) is lenient and skips such fields silently. Either way the
// field is then treated as absent. JSON null counts as absent, as it does
// for the API server, which prunes nulls of non-nullable fields.
type reader struct {
	findings []finding
}

// wrongType records that the value at path is not what was wanted, e.g.
// want "an integer".
func (r *reader) wrongType(path func() *field.Path, v any, want string) {
	if r == nil {
		return
	}
	detail := "must be " + want
	var bad any = field.OmitValueType{}
	switch t := v.(type) {
	case string:
		bad = clip(t)
	case json.Number:
		bad = clip(string(t))
		detail += ", not a number"
		if want == "an integer" {
			detail = "must be an integer"
		}
	case bool:
		bad = t
	default:
		detail += ", not " + vmspec.TypeName(v)
	}
	e := field.Invalid(path(), bad, detail)
	// The walks to the spec, the templates' metadata and the VM spec share
	// their first steps: report a bad step once.
	for _, f := range r.findings {
		if f.err.Field == e.Field {
			return
		}
	}
	r.findings = append(r.findings, finding{err: e, short: detail})
}

// clip keeps a bad value short enough to quote in a message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}

func (r *reader) object(v any, path func() *field.Path) *vmspec.Object {
	if v == nil {
		return nil
	}
	m, ok := v.(*vmspec.Object)
	if !ok {
		r.wrongType(path, v, "an object")
	}
	return m
}

func (r *reader) list(v any, path func() *field.Path) []any {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		r.wrongType(path, v, "an array")
	}
	return l
}

func (r *reader) str(v any, path func() *field.Path) (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		r.wrongType(path, v, "a string")
	}
	return s, ok
}

func (r *reader) integer(v any, path func() *field.Path) (int64, bool) {
	if v == nil {
		return 0, false
	}
	n, ok := vmspec.Int(v)
	if !ok {
		r.wrongType(path, v, "an integer")
	}
	return n, ok
}

func (r *reader) boolean(v any, path func() *field.Path) (b, ok bool) {
	if v == nil {
		return false, false
	}
	b, ok = v.(bool)
	if !ok {
		r.wrongType(path, v, "a boolean")
	}
	return b, ok
}

// stringMap reads labels or annotations: an object whose values are all
// strings. A value that is not one is reported; whoever reads the object
// skips it.
func (r *reader) stringMap(v any, path func() *field.Path) *vmspec.Object {
	m := r.object(v, path)
	if r == nil {
		return m
	}
	for i := range m.Len() {
		if _, ok := m.At(i).Value.(string); !ok {
			// Reported in name order, as the API server would.
			for _, mem := range m.Members() {
				r.str(mem.Value, func() *field.Path { return path().Key(mem.Name) })
			}
			break
		}
	}
	return m
}

// fit shapes a warning under 120 characters naming the field: the full path
// if it fits, else the path from the VM spec, else the tail of the line.
func fit(specPrefix, path, msg string) string {
	const limit = 119
	s := path + ": " + msg
	if len(s) <= limit {
		return s
	}
	if rel, ok := strings.CutPrefix(path, specPrefix+"."); ok {
		s = rel + ": " + msg
		if len(s) <= limit {
			return s
		}
	}
	s = s[len(s)-(limit-3):]
	for !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return "..." + s
}
