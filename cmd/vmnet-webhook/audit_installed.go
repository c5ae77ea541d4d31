package main

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// webhookConfigurationName names the webhook configurations of every install
// (manifests/base, the chart): the validating one's Service leads to the Pods.
const webhookConfigurationName = "vmnet-webhook"

var (
	validatingConfigsGVR = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}
	mutatingConfigsGVR   = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
	servicesGVR          = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	podsGVR              = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	configMapsGVR        = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// installedWebhook is what audit reads of the webhook installed in the
// cluster, from one of its Pods.
type installedWebhook struct {
	pod       string // namespace/name
	configMap string // the ConfigMap its config file comes from, if any
	cfg       config.Config
	podIPs    string // comma-separated
}

// readInstalled reads the rule settings the installed webhook runs with:
// the config file in the ConfigMap its Pod mounts, the rule flags of its
// arguments, and its Pod's IPs. It returns nil when no webhook served by a
// Service is registered (none installed, or one run outside the cluster).
func (a *auditor) readInstalled(ctx context.Context) (*installedWebhook, error) {
	vwc, err := a.client.Resource(validatingConfigsGVR).Get(ctx, webhookConfigurationName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, a.apiError("get", resourceName(validatingConfigsGVR), "", err)
	}
	webhooks, _, _ := unstructured.NestedSlice(vwc.Object, "webhooks")
	var ns, name string
	for _, w := range webhooks {
		if m, ok := w.(map[string]any); ok {
			ns, _, _ = unstructured.NestedString(m, "clientConfig", "service", "namespace")
			name, _, _ = unstructured.NestedString(m, "clientConfig", "service", "name")
			if name != "" {
				break
			}
		}
	}
	if name == "" {
		return nil, nil
	}
	svc, err := a.client.Resource(servicesGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, a.apiError("get", "services", ns, err)
	}
	selector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	if len(selector) == 0 {
		return nil, fmt.Errorf("the webhook's Service %s/%s selects no Pods; pass --config and --pod-ips", ns, name)
	}
	pods, err := a.client.Resource(podsGVR).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return nil, a.apiError("list", "pods", ns, err)
	}
	pod, err := pickPod(pods.Items)
	if err != nil {
		return nil, fmt.Errorf("the webhook's Service %s/%s: %v; pass --config and --pod-ips", ns, name, err)
	}
	in := &installedWebhook{pod: ns + "/" + pod.Name}
	for _, ip := range pod.Status.PodIPs {
		in.podIPs += "," + ip.IP
	}
	in.podIPs = strings.TrimPrefix(in.podIPs, ",")

	c := pod.Spec.Containers[0]
	if i := slices.IndexFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == "webhook" }); i >= 0 {
		c = pod.Spec.Containers[i]
	}
	args := slices.Clone(c.Args)
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	// The Pod's rule flags, as serve parses them; the others are not ours.
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	rf := addRuleFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("the arguments of Pod %s: %v", in.pod, err)
	}
	cfg := config.Default()
	if rf.file != "" {
		data, cm, err := a.mountedFile(ctx, pod, c, rf.file)
		if err != nil {
			return nil, err
		}
		in.configMap = cm
		if cfg, err = config.Parse(data); err != nil {
			return nil, fmt.Errorf("the config of Pod %s (ConfigMap %s/%s): %v", in.pod, ns, cm, err)
		}
	}
	if !fs.Changed("pod-ips") {
		rf.podIPs = in.podIPs
	}
	if in.cfg, err = rf.over(fs, cfg); err != nil {
		return nil, fmt.Errorf("the settings of Pod %s: %v", in.pod, err)
	}
	return in, nil
}

// pickPod chooses the Pod to read: a ready one with IPs, else any with IPs.
func pickPod(items []unstructured.Unstructured) (*corev1.Pod, error) {
	var found *corev1.Pod
	for i := range items {
		var p corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(items[i].Object, &p); err != nil {
			return nil, err
		}
		if len(p.Status.PodIPs) == 0 || len(p.Spec.Containers) == 0 || p.DeletionTimestamp != nil {
			continue
		}
		ready := slices.ContainsFunc(p.Status.Conditions, func(c corev1.PodCondition) bool {
			return c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		})
		if ready {
			return &p, nil
		}
		if found == nil {
			found = &p
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no Pod it selects has an IP")
	}
	return found, nil
}

// mountedFile reads the file at file in container c of pod from the
// ConfigMap mounted there, and names that ConfigMap.
func (a *auditor) mountedFile(ctx context.Context, pod *corev1.Pod, c corev1.Container, file string) ([]byte, string, error) {
	where := fmt.Sprintf("Pod %s/%s reads --config=%s", pod.Namespace, pod.Name, file)
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path.Clean(file), path.Clean(m.MountPath)+"/")
		if !ok || m.SubPath != "" {
			continue
		}
		i := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 || pod.Spec.Volumes[i].ConfigMap == nil {
			break
		}
		src := pod.Spec.Volumes[i].ConfigMap
		key := rel
		for _, item := range src.Items {
			if path.Clean(item.Path) == rel {
				key = item.Key
			}
		}
		cm, err := a.client.Resource(configMapsGVR).Namespace(pod.Namespace).Get(ctx, src.Name, metav1.GetOptions{})
		if err != nil {
			return nil, "", a.apiError("get", "configmaps", pod.Namespace, err)
		}
		data, ok, _ := unstructured.NestedString(cm.Object, "data", key)
		if !ok {
			return nil, "", fmt.Errorf("%s, but ConfigMap %s has no key %s", where, src.Name, key)
		}
		return []byte(data), src.Name, nil
	}
	return nil, "", fmt.Errorf("%s, which is not in a ConfigMap it mounts; pass --config", where)
}
