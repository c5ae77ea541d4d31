package node

import (
	"fmt"
	"path/filepath"
)

// containerdConfig is containerd 1.6's configuration with every folder in
// dir. restrict_oom_score_adj: no process here may lower oom_score_adj
// (CAP_SYS_RESOURCE is outside the bounding set), which sandboxes at -998
// would need. runc keeps its state in dir too.
func containerdConfig(dir, cniDir string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q

[grpc]
  address = %[3]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %[6]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[7]q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), filepath.Join(dir, "containerd.sock"),
		filepath.Join(dir, "opt"), PauseImage, filepath.Join(dir, "runc"), cniDir)
}

// cniConfig puts pods on the node's bridge with addresses from PodCIDR and
// PodCIDR6 and one route: the service range, through the bridge. No default
// route, no masquerading: a pod can reach this machine and other pods,
// nothing else.
func cniConfig(ipamDir string) string {
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "vmnet-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": %[1]q,
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": %[2]q,
        "ranges": [[{"subnet": %[3]q, "gateway": %[4]q}], [{"subnet": %[6]q}]],
        "routes": [{"dst": %[5]q}]
      }
    }
  ]
}
`, Bridge, ipamDir, PodCIDR, Gateway, ServiceCIDR, PodCIDR6)
}

// kubeletConfig: cgroupfs on this machine's cgroup v1 (failCgroupV1: false),
// oomScoreAdj 0 (it may not be lowered here), pod logs in dir, listening on
// the bridge address only, clients verified against the cluster CA, no
// image garbage collection (the images were imported, they cannot be
// pulled again) and eviction thresholds a busy shared disk does not trip.
func kubeletConfig(dir, cpDir, sock string, port, healthPort int) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: %[2]d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[3]d
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: %[4]q
authorization:
  mode: AlwaysAllow
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://%[5]s
podLogsDir: %[6]q
resolvConf: ""
clusterDomain: cluster.local
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
maxPods: 30
serializeImagePulls: false
`, Gateway, port, healthPort, filepath.Join(cpDir, "ca.crt"), sock, filepath.Join(dir, "pod-logs"))
}

// kubeProxyConfig: iptables mode, oom score left alone, conntrack sizes left
// alone, node ports only on the bridge address.
func kubeProxyConfig(kubeconfig string, healthPort, metricsPort int) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %[1]q
mode: iptables
hostnameOverride: %[2]s
clusterCIDR: %[3]s
bindAddress: %[4]s
healthzBindAddress: 127.0.0.1:%[5]d
metricsBindAddress: 127.0.0.1:%[6]d
oomScoreAdj: 0
nodePortAddresses: [%[4]s/32]
conntrack:
  maxPerCore: 0
  min: 0
`, kubeconfig, Name, PodCIDR, Gateway, healthPort, metricsPort)
}
