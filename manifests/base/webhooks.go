// Package base is the kustomize base of the install. Its Go side hands the
// webhook configurations it ships to tools, so that `vmnet-webhook audit`
// picks the objects the API server sends to the webhook exactly as the
// installed configurations do (kustomize ignores this file).
package base

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

//go:embed webhook-configurations.yaml
var webhookConfigurations []byte

// Webhook is what decides whether the API server calls one webhook.
type Webhook struct {
	Name              string
	Rules             []admv1.RuleWithOperations
	NamespaceSelector labels.Selector
}

// Webhooks reads the mutating and validating webhooks of the configurations
// the base installs.
func Webhooks() ([]Webhook, error) {
	out, err := ParseWebhooks(webhookConfigurations)
	if err != nil {
		return nil, fmt.Errorf("webhook-configurations.yaml: %w", err)
	}
	return out, nil
}

// ParseWebhooks reads the webhooks of webhook configurations, one or more,
// in YAML or JSON: those installed in a cluster, for one.
func ParseWebhooks(data []byte) ([]Webhook, error) {
	var out []Webhook
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var doc struct {
			Kind     string `json:"kind"`
			Webhooks []struct {
				Name              string                     `json:"name"`
				Rules             []admv1.RuleWithOperations `json:"rules"`
				NamespaceSelector *metav1.LabelSelector      `json:"namespaceSelector"`
			} `json:"webhooks"`
		}
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		for _, w := range doc.Webhooks {
			sel := labels.Everything()
			if w.NamespaceSelector != nil {
				var err error
				if sel, err = metav1.LabelSelectorAsSelector(w.NamespaceSelector); err != nil {
					return nil, fmt.Errorf("%s: namespaceSelector: %w", w.Name, err)
				}
			}
			out = append(out, Webhook{Name: w.Name, Rules: w.Rules, NamespaceSelector: sel})
		}
	}
}

// Calls says whether the API server calls w for op on resource in a
// namespace with these labels (which include kubernetes.io/metadata.name,
// as the API server sets it on every namespace).
func (w Webhook) Calls(op admv1.OperationType, resource schema.GroupVersionResource, namespace labels.Set) bool {
	if !w.NamespaceSelector.Matches(namespace) {
		return false
	}
	for _, r := range w.Rules {
		if matches(r.Operations, op) && matches(r.APIGroups, resource.Group) &&
			matches(r.APIVersions, resource.Version) && matches(r.Resources, resource.Resource) {
			return true
		}
	}
	return false
}

// matches is a rule's list test: the value, or "*".
func matches[T ~string](list []T, v T) bool {
	return slices.Contains(list, v) || slices.Contains(list, "*")
}
