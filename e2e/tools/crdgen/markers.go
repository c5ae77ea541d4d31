package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// KubeVirt's own CRDs are generated from its Go types, whose comments carry
// kubebuilder markers (+nullable, +kubebuilder:validation:MaxItems, ...).
// The OpenAPI definitions drop them, yet they decide what the API server
// prunes and rejects: template metadata is kept only because of
// +kubebuilder:pruning:PreserveUnknownFields, interfaces are capped by
// MaxItems. So they are read from the same pinned sources here.

// markerSet is the markers on one type or field, in source order.
type markerSet []string

// markers holds the markers of types ("pkg.Type") and of struct fields
// ("pkg.Type/jsonName"). A field whose Go type is a named non-struct type of
// its package (type Percent string) also inherits that type's markers, which
// the OpenAPI definitions inline away.
type markers struct {
	types  map[string]markerSet
	fields map[string]markerSet
	// itemFields are fields whose inherited markers apply to their items
	// ([]NamedString).
	itemFields map[string]markerSet
}

// loadMarkers parses the Go packages behind the given definition names.
// Only packages whose path starts with one of prefixes are read.
func loadMarkers(defNames []string, prefixes ...string) (markers, error) {
	m := markers{types: map[string]markerSet{}, fields: map[string]markerSet{}, itemFields: map[string]markerSet{}}
	pkgs := map[string]bool{}
	for _, d := range defNames {
		p := defPackage(d)
		for _, prefix := range prefixes {
			if strings.HasPrefix(p, prefix) {
				pkgs[p] = true
			}
		}
	}
	if len(pkgs) == 0 {
		return m, nil
	}
	args := []string{"list", "-f", "{{.ImportPath}}\t{{.Dir}}"}
	args = append(args, sortedKeys(pkgs)...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return m, fmt.Errorf("go list: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, ok := strings.Cut(line, "\t")
		if !ok {
			return m, fmt.Errorf("unexpected go list output %q", line)
		}
		if err := m.parsePackage(path, dir); err != nil {
			return m, err
		}
	}
	return m, nil
}

func (m *markers) parsePackage(path, dir string) error {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, dir+"/"+n, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	// First the types, so that fields can inherit from named types.
	named := map[string]bool{} // non-struct named types
	for _, f := range files {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(g.Specs) == 1 {
					doc = g.Doc
				}
				if ms := parseMarkers(doc); len(ms) > 0 {
					m.types[path+"."+ts.Name.Name] = ms
				}
				if _, isStruct := ts.Type.(*ast.StructType); !isStruct {
					named[ts.Name.Name] = true
				}
			}
		}
	}
	for _, f := range files {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					name := jsonName(field)
					if name == "" {
						// controller-gen applies markers on an inlined
						// embedded field (+nullable on TypeMeta) to the
						// enclosing object.
						if len(field.Names) == 0 {
							if ms := parseMarkers(field.Doc); len(ms) > 0 {
								key := path + "." + ts.Name.Name
								m.types[key] = append(m.types[key], ms...)
							}
						}
						continue
					}
					key := path + "." + ts.Name.Name + "/" + name
					if ms := parseMarkers(field.Doc); len(ms) > 0 {
						m.fields[key] = ms
					}
					typ, slice := baseIdent(field.Type)
					if typ == "" || !named[typ] {
						continue
					}
					inherited := m.types[path+"."+typ]
					if len(inherited) == 0 {
						continue
					}
					if slice {
						m.itemFields[key] = inherited
					} else {
						m.fields[key] = append(append(markerSet{}, inherited...), m.fields[key]...)
					}
				}
			}
		}
	}
	return nil
}

// jsonName is the JSON name of a struct field, "" for inlined or ignored ones.
func jsonName(f *ast.Field) string {
	// Embedded fields count too when their tag names them
	// (metav1.ObjectMeta `json:"metadata"`); inlined ones have no name.
	if f.Tag == nil || len(f.Names) > 1 {
		return ""
	}
	tag, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return ""
	}
	name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// baseIdent returns the same-package type name of a field (T, *T, []T).
func baseIdent(e ast.Expr) (name string, slice bool) {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name, false
	case *ast.StarExpr:
		return baseIdent(t.X)
	case *ast.ArrayType:
		n, _ := baseIdent(t.Elt)
		return n, true
	}
	return "", false
}

func parseMarkers(doc *ast.CommentGroup) markerSet {
	if doc == nil {
		return nil
	}
	var out markerSet
	for _, c := range doc.List {
		text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
		if text == "+nullable" || strings.HasPrefix(text, "+kubebuilder:") || strings.HasPrefix(text, "+default=") {
			out = append(out, text)
		}
	}
	return out
}

// applyType applies the markers on a struct type's declaration (Clock's
// +kubebuilder:pruning:PreserveUnknownFields) to every use of it.
func (m markers) applyType(s *apiextv1.JSONSchemaProps, def string) error {
	for _, mk := range m.types[def] {
		if err := apply(s, mk); err != nil {
			return fmt.Errorf("%s: %w", mk, err)
		}
	}
	return nil
}

func (m markers) applyField(s *apiextv1.JSONSchemaProps, owner, field string) error {
	if owner == "" {
		return nil
	}
	key := owner + "/" + field
	if items := m.itemFields[key]; len(items) > 0 && s.Items != nil && s.Items.Schema != nil {
		for _, mk := range items {
			if err := apply(s.Items.Schema, mk); err != nil {
				return fmt.Errorf("%s: %w", mk, err)
			}
		}
	}
	for _, mk := range m.fields[key] {
		if err := apply(s, mk); err != nil {
			return fmt.Errorf("%s: %w", mk, err)
		}
	}
	return nil
}

// apply sets what one marker says on a schema. Markers that do not concern
// the schema (+kubebuilder:object:root, +optional, ...) are ignored.
func apply(s *apiextv1.JSONSchemaProps, marker string) error {
	if marker == "+nullable" {
		s.Nullable = true
		return nil
	}
	name, value, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(marker, "+"), "kubebuilder:"), "=")
	name = strings.TrimSuffix(name, ":")
	switch name {
	case "pruning:PreserveUnknownFields":
		s.XPreserveUnknownFields = ptr(true)
	case "validation:Enum":
		for _, v := range strings.Split(value, ";") {
			j, err := typedValue(s.Type, unquote(v))
			if err != nil {
				return err
			}
			s.Enum = append(s.Enum, *j)
		}
	case "validation:Format":
		s.Format = value
	case "validation:Pattern":
		s.Pattern = unquote(value)
	case "validation:Maximum", "validation:Minimum":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return err
		}
		if name == "validation:Maximum" {
			s.Maximum = &f
		} else {
			s.Minimum = &f
		}
	case "validation:MaxItems", "validation:MinItems", "validation:MaxLength", "validation:MinLength":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return err
		}
		switch name {
		case "validation:MaxItems":
			s.MaxItems = &n
		case "validation:MinItems":
			s.MinItems = &n
		case "validation:MaxLength":
			s.MaxLength = &n
		default:
			s.MinLength = &n
		}
	case "validation:XValidation:rule":
		// rule="...",message="..." after the first '='.
		r, err := parseXValidation("rule=" + value)
		if err != nil {
			return err
		}
		s.XValidations = append(s.XValidations, r)
	case "default":
		if strings.HasPrefix(value, "ref(") {
			// k8s.io/api's +default=ref(Const): a Go constant, not a literal.
			return nil
		}
		j, err := typedValue(s.Type, unquote(value))
		if err != nil {
			return err
		}
		s.Default = j
	}
	return nil
}

// typedValue reads a marker's literal as a value of the schema's type.
func typedValue(typ, v string) (*apiextv1.JSON, error) {
	var x any = v
	switch typ {
	case "boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, err
		}
		x = b
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, err
		}
		x = n
	}
	return jsonValue(x)
}

func jsonValue(x any) (*apiextv1.JSON, error) {
	raw, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return &apiextv1.JSON{Raw: raw}, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '`' || v[0] == '"') && v[len(v)-1] == v[0] {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
	}
	return v
}

// parseXValidation reads `rule="...",message="..."`.
func parseXValidation(s string) (apiextv1.ValidationRule, error) {
	var r apiextv1.ValidationRule
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			return r, fmt.Errorf("malformed XValidation %q", s)
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return r, fmt.Errorf("malformed XValidation value %q: %w", rest, err)
		}
		v, _ := strconv.Unquote(q)
		switch key {
		case "rule":
			r.Rule = v
		case "message":
			r.Message = v
		case "messageExpression":
			r.MessageExpression = v
		case "reason":
			reason := apiextv1.FieldValueErrorReason(v)
			r.Reason = &reason
		case "fieldPath":
			r.FieldPath = v
		}
		s = strings.TrimPrefix(rest[len(q):], ",")
	}
	if r.Rule == "" {
		return r, fmt.Errorf("XValidation without rule")
	}
	return r, nil
}
