package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// auditItem is the verdict on one stored object.
type auditItem struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Result is refused, admitted or skipped (the webhook never sees it).
	Result    string    `json:"result"`
	Reason    string    `json:"reason,omitempty"`
	Refusals  []refusal `json:"refusals,omitempty"`
	Additions []string  `json:"additions,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
	// NotChecked are fields the rules cannot read (network data in a
	// Secret): nothing was said about them.
	NotChecked []string `json:"notChecked,omitempty"`

	// deniedBy and warnedBy name the rules that refused and warned, for the
	// in-cluster audit's gauges and reports.
	deniedBy, warnedBy []string
	uid                string
}

// refusal is one field error of a denial, in the words kubectl prints.
type refusal struct {
	Webhook string `json:"webhook"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

const (
	resultRefused  = "refused"
	resultAdmitted = "admitted"
	resultSkipped  = "skipped"
)

// auditSummary counts the objects by verdict.
type auditSummary struct {
	// Audited objects were judged: refused or admitted.
	Audited int `json:"audited"`
	Refused int `json:"refused"`
	// Changed would get something added; Warned would get warnings.
	Changed int `json:"changed"`
	Warned  int `json:"warned"`
	// Skipped are in namespaces the webhook configurations leave out.
	Skipped int `json:"skipped"`
	// FromTemplate objects were made by a controller from a template that
	// is audited itself (a VM's or replica set's VMIs, a pool's VMs).
	FromTemplate int `json:"fromTemplate"`
	// NotServed names the kinds the cluster does not serve, as
	// resource.group.
	NotServed []string `json:"notServed,omitempty"`
	// Note says how namespaces were chosen when not by the installed
	// webhook configurations, which could not be read.
	Note string `json:"note,omitempty"`
}

func (s *auditSummary) count(it auditItem) {
	switch it.Result {
	case resultSkipped:
		s.Skipped++
		return
	case resultRefused:
		s.Refused++
	}
	s.Audited++
	if len(it.Additions) > 0 {
		s.Changed++
	}
	if len(it.Warnings) > 0 {
		s.Warned++
	}
}

// String is the summary line audit prints on stderr.
func (s auditSummary) String() string {
	line := fmt.Sprintf("audited %s: %d would be refused, %d would be changed, %d would get warnings",
		plural(s.Audited, "object"), s.Refused, s.Changed, s.Warned)
	var not []string
	if s.Skipped > 0 {
		not = append(not, fmt.Sprintf("%d in a namespace the webhook skips", s.Skipped))
	}
	if s.FromTemplate > 0 {
		not = append(not, fmt.Sprintf("%d made by a controller from a template audited here", s.FromTemplate))
	}
	if len(not) > 0 {
		line += "; not audited: " + strings.Join(not, ", ")
	}
	if len(s.NotServed) > 0 {
		line += "; not served by the cluster: " + strings.Join(s.NotServed, ", ")
	}
	if s.Note != "" {
		line += "; " + s.Note
	}
	return line
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// additions says in a few words what a mutating patch adds, one phrase per
// kind of change, in the patch's order. The words come from the last key of
// each operation's path, which the rules own (see pkg/rules/mutation.go); a
// key not known here is shown as it is rather than hidden.
func additions(patch []byte) ([]string, error) {
	var ops []struct {
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, fmt.Errorf("the mutating webhook's patch: %v", err)
	}
	var words []string
	add := func(w string) {
		for _, have := range words {
			if have == w {
				return
			}
		}
		words = append(words, w)
	}
	for _, op := range ops {
		switch key := lastKey(op.Path); key {
		case "interfaces":
			add("masquerade interface")
		case "networks":
			add("pod network")
		case "devices": // devices itself was absent: it holds what was added
			var devices map[string]json.RawMessage
			_ = json.Unmarshal(op.Value, &devices)
			if devices["interfaces"] != nil {
				add("masquerade interface")
			}
			if devices["disks"] != nil {
				add("cloud-init disk")
			}
		case "masquerade":
			add("masquerade binding")
		case "macAddress":
			add("MAC address")
		case "vmIPv6NetworkCIDR":
			add("vmIPv6NetworkCIDR")
		case "volumes", "networkData":
			add("IPv6 networkData")
		case "disks":
			add("cloud-init disk")
		default:
			add(key)
		}
	}
	return words, nil
}

// lastKey is the last object key of a JSON Pointer, list indexes skipped.
func lastKey(pointer string) string {
	parts := strings.Split(pointer, "/")
	for i := len(parts) - 1; i > 0; i-- {
		p := parts[i]
		if p == "-" || strings.Trim(p, "0123456789") == "" {
			continue
		}
		return strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	return pointer
}

// auditReport is what -o json and -o yaml print.
type auditReport struct {
	Summary auditSummary `json:"summary"`
	Items   []auditItem  `json:"items"`
}

// writeTable prints one row per finding, as kubectl prints tables: objects
// with nothing to report and skipped objects have no row (the summary
// counts them; -o json lists them).
func writeTable(w io.Writer, items []auditItem) error {
	// kubectl's tab writer settings (cli-runtime's printers.GetNewTabWriter).
	tw := tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
	rows := 0
	row := func(it auditItem, result, detail string) {
		if rows == 0 {
			fmt.Fprintln(tw, "NAMESPACE\tKIND\tNAME\tRESULT\tDETAIL")
		}
		rows++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Namespace, it.Kind, it.Name, result, detail)
	}
	for _, it := range items {
		if it.Result == resultSkipped {
			continue
		}
		for _, r := range it.Refusals {
			row(it, "refused", r.Message)
		}
		if len(it.Additions) > 0 {
			row(it, "adds", strings.Join(it.Additions, ", "))
		}
		for _, warning := range it.Warnings {
			row(it, "warning", warning)
		}
		for _, f := range it.NotChecked {
			row(it, "not checked", f+": in a Secret, which audit does not read")
		}
	}
	return tw.Flush()
}

func writeReport(w io.Writer, output string, items []auditItem, sum auditSummary) error {
	if output == "table" {
		return writeTable(w, items)
	}
	if items == nil {
		items = []auditItem{}
	}
	b, err := json.MarshalIndent(auditReport{Summary: sum, Items: items}, "", "    ")
	if err != nil {
		return err
	}
	if output == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
	} else {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}
