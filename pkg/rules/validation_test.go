package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// TestWarningsCount checks that each way a validator reports marks the
// rule it is counted under, and adds lines or an error as it should.
func TestWarningsCount(t *testing.T) {
	path := field.NewPath("spec", "x")
	warnMode := config.Default()
	warnMode.Enforcement = config.Warn
	tests := []struct {
		name             string
		cfg              config.Config
		report           func(*validation)
		fired, ratcheted bool
		warnings, errs   int
	}{
		{"warn", config.Default(), func(v *validation) { v.warn(path, "m") }, true, false, 1, 0},
		{"warnRatchet", config.Default(), func(v *validation) { v.warnRatchet(path, "m") }, false, true, 1, 0},
		{"deny", config.Default(), func(v *validation) { v.deny(field.Forbidden(path, "d"), "m") }, true, false, 0, 1},
		{"deny, enforcement warn", warnMode, func(v *validation) { v.deny(field.Forbidden(path, "d"), "m") }, true, false, 1, 0},
	}
	for _, tt := range tests {
		v := &validation{cfg: tt.cfg, obj: newObject(&vmspec.VM{Shape: &vmspec.Shape{SpecPath: field.NewPath("spec")}})}
		tt.report(v)
		if v.fired != tt.fired || v.ratcheted != tt.ratcheted || len(v.warnings) != tt.warnings || len(v.errs) != tt.errs {
			t.Errorf("%s: fired %v, ratcheted %v, %d warnings, %d errors; want %v, %v, %d, %d",
				tt.name, v.fired, v.ratcheted, len(v.warnings), len(v.errs), tt.fired, tt.ratcheted, tt.warnings, tt.errs)
		}
	}
}
