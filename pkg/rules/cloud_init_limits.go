package rules

import (
	"encoding/base64"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxNetworkData is KubeVirt's limit on inline cloud-init data, in bytes,
// measured decoded for base64.
const maxNetworkData = 2048

// Cloud-init limits the injected networkData could break: at most one
// network data source per cloud-init volume, inline data within the limit.
// Checked here so the user reads it before the VM fails to start.
func cloudInitLimits(v *validation) {
	for i, vol := range v.spec.Volumes {
		for _, ci := range cloudInits(vol) {
			path := func() *field.Path { return v.obj.SpecPath.Child("volumes").Index(i).Child(ci.key) } // built when needed
			if sources := ci.networkDataSources(); len(sources) > 1 {
				const short = "must set at most one of networkData, networkDataBase64 and networkDataSecretRef"
				v.deny(field.Forbidden(path(), short+"; it sets "+strings.Join(sources, " and ")), short)
			}
			if len(ci.NetworkData) > maxNetworkData {
				v.deny(field.TooLong(path().Child("networkData"), nil, maxNetworkData), "must be at most 2048 bytes")
			}
			if ci.NetworkDataBase64 == "" {
				continue
			}
			switch decoded, err := base64.StdEncoding.DecodeString(ci.NetworkDataBase64); {
			case err != nil:
				const short = "must be base64-encoded"
				v.deny(field.Invalid(path().Child("networkDataBase64"), field.OmitValueType{}, short+": "+err.Error()), short)
			case len(decoded) > maxNetworkData:
				e := field.TooLong(path().Child("networkDataBase64"), nil, maxNetworkData)
				e.Detail += " once decoded"
				v.deny(e, "must be at most 2048 bytes once decoded")
			}
		}
	}
}
