package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"strconv"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// KubeVirt's operator installs its CRDs from code in this package of the
// kubevirt.io/kubevirt module: each kind's schema is a YAML string in
// validations_generated.go, keyed by the singular name, and crds.go lists
// each CRD's versions.
const operatorComponents = "pkg/virt-operator/resource/generate/components"

// shipped builds the four CRDs as the KubeVirt release whose source is in
// src (the kubevirt.io/kubevirt module of that release) ships them: every
// version's schema is the release's own, and the pool serves the versions
// the release's NewVirtualMachinePoolCrd lists (v1alpha1 alone before 1.7).
// Names, printer columns and subresources are those of kinds(), which no
// release from 1.4 to 1.9 changed.
func shipped(src string) ([]*apiextv1.CustomResourceDefinition, error) {
	dir := filepath.Join(src, operatorComponents)
	schemas, err := releaseSchemas(filepath.Join(dir, "validations_generated.go"))
	if err != nil {
		return nil, err
	}
	poolVersions, err := releasePoolVersions(filepath.Join(dir, "crds.go"))
	if err != nil {
		return nil, err
	}
	var crds []*apiextv1.CustomResourceDefinition
	for _, k := range kinds() {
		if k.names.Kind == "VirtualMachinePool" {
			k.versions = poolVersions
		}
		text, ok := schemas[k.names.Singular]
		if !ok {
			return nil, fmt.Errorf("%s: no schema for %q", dir, k.names.Singular)
		}
		crd, err := k.crd(func(string) (*apiextv1.JSONSchemaProps, error) {
			// Decoded anew for each version: versions must not share a schema.
			var v apiextv1.CustomResourceValidation
			if err := yaml.UnmarshalStrict([]byte(text), &v); err != nil {
				return nil, fmt.Errorf("schema of %s: %w", k.names.Singular, err)
			}
			if v.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("schema of %s: no openAPIV3Schema", k.names.Singular)
			}
			return v.OpenAPIV3Schema, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.names.Kind, err)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}

// releaseSchemas reads the CRDsValidation map literal: singular name to the
// YAML of a CustomResourceValidation.
func releaseSchemas(file string) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "CRDsValidation" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return false
		}
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			k, kok := kv.Key.(*ast.BasicLit)
			v, vok := kv.Value.(*ast.BasicLit)
			if !kok || !vok || k.Kind != token.STRING || v.Kind != token.STRING {
				continue
			}
			key, err1 := strconv.Unquote(k.Value)
			val, err2 := strconv.Unquote(v.Value)
			if err1 == nil && err2 == nil {
				out[key] = val
			}
		}
		return false
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no CRDsValidation map", file)
	}
	return out, nil
}

// releasePoolVersions reads the versions NewVirtualMachinePoolCrd declares:
// each a composite literal with Name: <alias>.SchemeGroupVersion.Version,
// the alias naming an import kubevirt.io/api/pool/<version>.
func releasePoolVersions(file string) ([]apiextv1.CustomResourceDefinitionVersion, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	imports := map[string]string{}
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			return nil, err
		}
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "NewVirtualMachinePoolCrd" {
			fn = fd
		}
	}
	if fn == nil {
		return nil, fmt.Errorf("%s: no NewVirtualMachinePoolCrd", file)
	}
	var versions []apiextv1.CustomResourceDefinitionVersion
	var failed error
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok || failed != nil {
			return failed == nil
		}
		var v apiextv1.CustomResourceDefinitionVersion
		named := false
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, _ := kv.Key.(*ast.Ident)
			if key == nil {
				continue
			}
			switch key.Name {
			case "Name":
				alias, ok := schemeVersionOf(kv.Value)
				if !ok {
					continue
				}
				p, ok := imports[alias]
				if !ok || path.Dir(p) != "kubevirt.io/api/pool" {
					failed = fmt.Errorf("%s: pool version from %q, not a kubevirt.io/api/pool package", file, p)
					return false
				}
				v.Name, named = path.Base(p), true
			case "Served", "Storage":
				b, ok := kv.Value.(*ast.Ident)
				if !ok || (b.Name != "true" && b.Name != "false") {
					continue
				}
				if key.Name == "Served" {
					v.Served = b.Name == "true"
				} else {
					v.Storage = b.Name == "true"
				}
			}
		}
		if named {
			versions = append(versions, v)
			return false
		}
		return true
	})
	if failed != nil {
		return nil, failed
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("%s: NewVirtualMachinePoolCrd lists no versions", file)
	}
	return versions, nil
}

// schemeVersionOf matches <alias>.SchemeGroupVersion.Version.
func schemeVersionOf(e ast.Expr) (string, bool) {
	outer, ok := e.(*ast.SelectorExpr)
	if !ok || outer.Sel.Name != "Version" {
		return "", false
	}
	inner, ok := outer.X.(*ast.SelectorExpr)
	if !ok || inner.Sel.Name != "SchemeGroupVersion" {
		return "", false
	}
	id, ok := inner.X.(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}
