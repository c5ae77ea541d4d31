// Package examples holds one VM per behaviour of the webhook, and reads the
// outcome each one documents in its header. The rules' tests, the preview's
// and the end-to-end tests all check the same promise, so examples and docs
// cannot drift apart.
//
// The first line of a file says in prose what happens; then "# expect:"
// lines list, exactly and in order:
//
//	patch <JSON Pointer>  an operation of the mutation
//	warn <warning>        a warning (mutation's, then validation's)
//	deny <error>          a denial
//
// No "deny" line means the VM is admitted; no "patch" line, unchanged.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Example is one file and the outcome it documents.
type Example struct {
	// Name is the file's name in examples/.
	Name string
	Text []byte
	// Summary is the first line, without its "# ".
	Summary           string
	Patch, Warn, Deny []string
}

// All returns every example, in file name order.
func All() ([]Example, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, err
	}
	all := make([]Example, 0, len(names))
	for _, name := range names {
		text, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ex, err := Parse(name, text)
		if err != nil {
			return nil, err
		}
		all = append(all, ex)
	}
	return all, nil
}

// Parse reads the header of one example.
func Parse(name string, text []byte) (Example, error) {
	ex := Example{Name: name, Text: text}
	lines := strings.Split(string(text), "\n")
	summary, ok := strings.CutPrefix(lines[0], "# ")
	if !ok || strings.HasPrefix(lines[0], "# expect:") {
		return ex, fmt.Errorf("examples/%s: the first line must say what happens: %q", name, lines[0])
	}
	ex.Summary = summary
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "# expect: ")
		if !ok {
			continue
		}
		verb, arg, _ := strings.Cut(rest, " ")
		switch verb {
		case "patch":
			ex.Patch = append(ex.Patch, arg)
		case "warn":
			ex.Warn = append(ex.Warn, arg)
		case "deny":
			ex.Deny = append(ex.Deny, arg)
		default:
			return ex, fmt.Errorf("examples/%s: unknown expectation %q", name, l)
		}
	}
	return ex, nil
}
