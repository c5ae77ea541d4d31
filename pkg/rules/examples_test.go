package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples runs every VM in examples/ through the rules, as a CREATE,
// and checks the outcome its header documents. The first line says in
// prose what happens; "# expect:" lines list, exactly and in order:
//
//	patch <JSON Pointer>  an operation of the mutation
//	warn <warning>        a warning (mutation's, then validation's)
//	deny <error>          a denial
//
// No "deny" line means the VM is admitted; no "patch" line, unchanged.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(text), "\n")
			if !strings.HasPrefix(lines[0], "# ") || strings.HasPrefix(lines[0], "# expect:") {
				t.Fatalf("the first line must say what happens: %q", lines[0])
			}
			var wantPatch, wantWarn, wantDeny []string
			for _, l := range lines {
				rest, ok := strings.CutPrefix(l, "# expect: ")
				if !ok {
					continue
				}
				verb, arg, _ := strings.Cut(rest, " ")
				switch verb {
				case "patch":
					wantPatch = append(wantPatch, arg)
				case "warn":
					wantWarn = append(wantWarn, arg)
				case "deny":
					wantDeny = append(wantDeny, arg)
				default:
					t.Fatalf("unknown expectation %q", l)
				}
			}
			mut, _, val := mutateAndValidate(t, defaults(), string(text))
			var gotPatch []string
			for _, op := range mut.Patch {
				gotPatch = append(gotPatch, op.Path)
			}
			if !sameStrings(gotPatch, wantPatch) {
				t.Errorf("patch:\n got %q\nwant %q", gotPatch, wantPatch)
			}
			if got := append(mut.Warnings, val.Warnings...); !sameStrings(got, wantWarn) {
				t.Errorf("warnings:\n got %q\nwant %q", got, wantWarn)
			}
			if got := errorStrings(val); !sameStrings(got, wantDeny) {
				t.Errorf("denials:\n got %q\nwant %q", got, wantDeny)
			}
		})
	}
}
