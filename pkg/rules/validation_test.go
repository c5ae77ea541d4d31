package rules

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// TestWarningsCount checks that each way a validator reports is counted
// under the right rule and outcome, with lines or an error as it should.
func TestWarningsCount(t *testing.T) {
	path := field.NewPath("spec", "template", "spec", "x")
	warnMode := config.Default()
	warnMode.Enforcement = config.Warn
	const ratchet = RuleReservedPortsRatchet
	long := strings.Repeat("word ", 40) // fitted to several lines
	tests := []struct {
		name                  string
		cfg                   config.Config
		report                func(*validation)
		fired, denied, warned []string
		warnings, errs        int
	}{
		{"warn", config.Default(), func(v *validation) { v.warn(path, "m") }, []string{"r"}, nil, []string{"r"}, 1, 0},
		{"warnRatchet", config.Default(), func(v *validation) { v.warnRatchet(path, long) },
			[]string{ratchet}, nil, []string{ratchet}, 2, 0},
		{"deny", config.Default(), func(v *validation) { v.deny(field.Forbidden(path, "d"), "m") },
			[]string{"r"}, []string{"r"}, nil, 0, 1},
		{"deny, enforcement warn", warnMode, func(v *validation) { v.deny(field.Forbidden(path, "d"), "m") },
			[]string{"r"}, nil, []string{"r"}, 1, 0},
		{"deny and ratchet, enforcement warn", warnMode, func(v *validation) {
			v.deny(field.Forbidden(path, "d"), "m")
			v.warnRatchet(path, long)
		}, []string{"r", ratchet}, nil, []string{"r", ratchet}, 3, 0},
		{"nothing", config.Default(), func(*validation) {}, nil, nil, nil, 0, 0},
	}
	defer func(saved []rule[*validation]) { validators = saved }(validators)
	for _, tt := range tests {
		validators = []rule[*validation]{{"r", tt.report}}
		res := Validate(tt.cfg, createReq(t, toJSON(t, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nspec: {template: {spec: {}}}")))
		if !slices.Equal(res.Fired, tt.fired) || !slices.Equal(res.Denied, tt.denied) || !slices.Equal(res.Warned, tt.warned) ||
			len(res.Warnings) != tt.warnings || len(res.Errors) != tt.errs {
			t.Errorf("%s: fired %q, denied %q, warned %q, %d warnings, %d errors; want %q, %q, %q, %d, %d", tt.name,
				res.Fired, res.Denied, res.Warned, len(res.Warnings), len(res.Errors), tt.fired, tt.denied, tt.warned, tt.warnings, tt.errs)
		}
	}
}
