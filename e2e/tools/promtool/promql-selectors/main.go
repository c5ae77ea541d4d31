// Command promql-selectors prints, as JSON, every series selector in the
// alerting and recording rules of the PrometheusRule objects or rule files
// it is given: the metric name and label matchers each expression reads,
// found by Prometheus's own PromQL parser.
//
//	promql-selectors FILE...
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// Selector is one vector or matrix selector of a rule's expression.
type Selector struct {
	Rule     string    `json:"rule"`
	Metric   string    `json:"metric"`
	Matchers []Matcher `json:"matchers"`
}

// Matcher is one label matcher, the metric name's included.
type Matcher struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ruleGroups is what both a PrometheusRule's spec and a rule file hold.
type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert  string `json:"alert"`
			Record string `json:"record"`
			Expr   string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promql-selectors FILE...")
		os.Exit(2)
	}
	var out []Selector
	for _, file := range os.Args[1:] {
		sels, err := readFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "promql-selectors: %s: %v\n", file, err)
			os.Exit(1)
		}
		out = append(out, sels...)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "promql-selectors:", err)
		os.Exit(1)
	}
}

// readFile reads a PrometheusRule (its spec holds the groups) or a plain
// rule file and returns the selectors of every rule.
func readFile(file string) ([]Selector, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Kind string     `json:"kind"`
		Spec ruleGroups `json:"spec"`
		ruleGroups
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	groups := doc.ruleGroups
	if doc.Kind == "PrometheusRule" {
		groups = doc.Spec
	}
	if len(groups.Groups) == 0 {
		return nil, errors.New("no rule groups")
	}
	var out []Selector
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("rule %s: %w", name, err)
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				vs, ok := node.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				s := Selector{Rule: name, Metric: vs.Name}
				for _, m := range vs.LabelMatchers {
					s.Matchers = append(s.Matchers, Matcher{Name: m.Name, Type: m.Type.String(), Value: m.Value})
				}
				out = append(out, s)
				return nil
			})
		}
	}
	return out, nil
}
