package rules

import (
	"encoding/base64"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxNetworkData is KubeVirt's limit on inline cloud-init data, in bytes;
// base64 data is measured decoded.
const maxNetworkData = 2048

// Cloud-init limits the injected networkData could break: at most one
// network data source per cloud-init volume, and inline data within the
// limit. Checked here so the user reads it before the VM fails to start.
func cloudInitLimits(v *validation) {
	for i, vol := range v.spec.Volumes {
		if vol == nil {
			continue
		}
		for _, ci := range cloudInits(vol) {
			ciPath := func() *field.Path { return v.obj.SpecPath.Child("volumes").Index(i).Child(ci.key) }
			if sources := ci.networkDataSources(); len(sources) > 1 {
				const short = "must set at most one of networkData, networkDataBase64 and networkDataSecretRef"
				v.deny(field.Forbidden(ciPath(), short+"; it sets "+strings.Join(sources, " and ")), short)
			}
			if len(ci.NetworkData) > maxNetworkData {
				v.deny(field.TooLong(ciPath().Child("networkData"), nil, maxNetworkData), "must be at most 2048 bytes")
			}
			if ci.NetworkDataBase64 != "" {
				decoded, err := base64.StdEncoding.DecodeString(ci.NetworkDataBase64)
				switch {
				case err != nil:
					const short = "must be base64-encoded"
					v.deny(field.Invalid(ciPath().Child("networkDataBase64"), field.OmitValueType{}, short+": "+err.Error()), short)
				case len(decoded) > maxNetworkData:
					e := field.TooLong(ciPath().Child("networkDataBase64"), nil, maxNetworkData)
					e.Detail += " once decoded"
					v.deny(e, "must be at most 2048 bytes once decoded")
				}
			}
		}
	}
}
