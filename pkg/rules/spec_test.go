package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

func TestBootCloudInit(t *testing.T) {
	noCloud, configDrive := &vmspec.CloudInit{}, &vmspec.CloudInit{NetworkData: "x"}
	tests := []struct {
		name    string
		volumes []*vmspec.Volume
		key     string
		i       int
		ok      bool
	}{
		{"no volumes", nil, "", -1, false},
		{"no cloud-init volume", []*vmspec.Volume{{Name: "disk"}}, "", -1, false},
		{"null entries skipped", []*vmspec.Volume{nil, {CloudInitNoCloud: noCloud}}, "cloudInitNoCloud", 1, true},
		{"the first decides", []*vmspec.Volume{{CloudInitConfigDrive: configDrive}, {CloudInitNoCloud: noCloud}}, "cloudInitConfigDrive", 0, true},
		{"both kinds in one volume", []*vmspec.Volume{{Name: "d"}, {CloudInitNoCloud: noCloud, CloudInitConfigDrive: configDrive}, {CloudInitNoCloud: noCloud}}, "", 1, false},
	}
	for _, tt := range tests {
		ci, i, ok := bootCloudInit(&vmspec.Spec{Volumes: tt.volumes})
		if ci.key != tt.key || i != tt.i || ok != tt.ok {
			t.Errorf("%s: got %q at %d, %v; want %q at %d, %v", tt.name, ci.key, i, ok, tt.key, tt.i, tt.ok)
		}
	}
}
