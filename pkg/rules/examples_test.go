package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/examples"
)

// TestExamples runs every VM in examples/ through the rules, as a CREATE,
// and checks the outcome its header documents (see package examples).
func TestExamples(t *testing.T) {
	all, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range all {
		t.Run(ex.Name, func(t *testing.T) {
			wantPatch, wantWarn, wantDeny := ex.Patch, ex.Warn, ex.Deny
			mut, _, val := mutateAndValidate(t, defaults(), string(ex.Text))
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
