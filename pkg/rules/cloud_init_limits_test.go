package rules

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCloudInitLimits(t *testing.T) {
	const vol = "spec.template.spec.volumes[0]."
	long := strings.Repeat("#", 2049)
	tests := []struct {
		name   string
		volume string
		want   []string
	}{
		{name: "one source", volume: `{name: c, cloudInitNoCloud: {userData: "#cloud-config", networkData: "version: 2"}}`},
		{name: "exactly 2048 bytes", volume: `{name: c, cloudInitNoCloud: {networkData: "` + strings.Repeat("#", 2048) + `"}}`},
		{name: "base64 measured decoded", volume: `{name: c, cloudInitNoCloud: {networkDataBase64: "` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("#", 2048))) + `"}}`},
		{
			name:   "two sources",
			volume: `{name: c, cloudInitConfigDrive: {networkData: "x", networkDataSecretRef: {name: s}}}`,
			want:   []string{vol + "cloudInitConfigDrive: Forbidden: must set at most one of networkData, networkDataBase64 and networkDataSecretRef; it sets networkData and networkDataSecretRef"},
		},
		{
			name:   "too long inline",
			volume: `{name: c, cloudInitNoCloud: {networkData: "` + long + `"}}`,
			want:   []string{vol + "cloudInitNoCloud.networkData: Too long: may not be more than 2048 bytes"},
		},
		{
			name:   "too long decoded",
			volume: `{name: c, cloudInitNoCloud: {networkDataBase64: "` + base64.StdEncoding.EncodeToString([]byte(long)) + `"}}`,
			want:   []string{vol + "cloudInitNoCloud.networkDataBase64: Too long: may not be more than 2048 bytes once decoded"},
		},
		{
			name:   "not base64",
			volume: `{name: c, cloudInitNoCloud: {networkDataBase64: "!!!"}}`,
			want:   []string{vol + "cloudInitNoCloud.networkDataBase64: Invalid value: must be base64-encoded: illegal base64 data at input byte 0"},
		},
		{
			name:   "ill-typed",
			volume: `{name: c, cloudInitNoCloud: {networkData: [1], networkDataSecretRef: "s"}}`,
			want: []string{
				vol + "cloudInitNoCloud.networkData: Invalid value: must be a string, not an array",
			},
		},
		{
			name:   "a secret reference a string",
			volume: `{name: c, cloudInitNoCloud: {networkDataSecretRef: "s"}}`,
			want:   []string{vol + `cloudInitNoCloud.networkDataSecretRef: Invalid value: "s": must be an object`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm}
spec:
  template:
    spec:
      domain: {devices: {}}
      volumes:
      - ` + tt.volume + "\n"
			res := Validate(defaults(), createReq(t, toJSON(t, y)))
			if got := errorStrings(res); !sameStrings(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
