package netconfig

import (
	"encoding/json"
	"strings"

	"sigs.k8s.io/yaml"
)

// lintConfigDrive checks a ConfigDrive's network data, which cloud-init
// reads as OpenStack's network_data.json.
func lintConfigDrive(text string, nic PodNIC) []string {
	var nd struct {
		Links []struct {
			MAC string `json:"ethernet_mac_address"`
		} `json:"links"`
		Version   any `json:"version"`
		Ethernets any `json:"ethernets"`
	}
	if err := json.Unmarshal([]byte(text), &nd); err != nil {
		var doc map[string]any
		if yaml.Unmarshal([]byte(text), &doc) == nil && (doc["version"] != nil || doc["network"] != nil) {
			return []string{"is netplan YAML, but a ConfigDrive's network data is OpenStack's " +
				"network_data.json: cloud-init cannot use it; use cloudInitNoCloud"}
		}
		return []string{"is not JSON: a ConfigDrive's network data is OpenStack's " +
			"network_data.json; cloud-init drops it, or the whole ConfigDrive"}
	}
	if nd.Version != nil || nd.Ethernets != nil {
		return []string{"is netplan, but a ConfigDrive's network data is OpenStack's " +
			"network_data.json: cloud-init cannot use it; use cloudInitNoCloud"}
	}
	if nic.MAC == "" {
		return nil
	}
	for _, l := range nd.Links {
		if strings.EqualFold(l.MAC, nic.MAC) {
			return nil
		}
	}
	return []string{"has no link with the pod network's MAC " + nic.MAC +
		": cloud-init leaves that NIC down; add the link and a network"}
}
