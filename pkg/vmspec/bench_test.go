package vmspec_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec/vmspectest"
)

// bigObject has 256 interfaces and networks, as the CRD allows at most.
func bigObject() []byte {
	var ifaces, nets []string
	for i := range 256 {
		ifaces = append(ifaces, fmt.Sprintf(`{"name":"net%d","bridge":{},"model":"virtio","macAddress":"02:00:00:00:%02x:%02x","ports":[{"port":80}]}`, i, i/256, i%256))
		nets = append(nets, fmt.Sprintf(`{"name":"net%d","multus":{"networkName":"net%d"}}`, i, i))
	}
	return []byte(`{"metadata":{"name":"big","labels":{"a":"b"}},"spec":{"domain":{"devices":{"interfaces":[` +
		strings.Join(ifaces, ",") + `]}},"networks":[` + strings.Join(nets, ",") + `]}}`)
}

// BenchmarkDecode compares, on one object, what reading it costs: skipping
// it whole (the syntax check every reader pays), every token read, Decode
// keeping what the rules of this shape read, and encoding/json's whole
// decode, which Decode replaced.
func BenchmarkDecode(b *testing.B) {
	data := bigObject()
	rules := vmspec.Compile(vmspec.Fields{
		"metadata": {"name": vmspec.Whole, "labels": vmspec.Whole},
		"spec": {
			"domain":   {"devices": {"interfaces": {"name": vmspec.Whole, "bridge": vmspec.Whole, "model": vmspec.Whole, "macAddress": vmspec.Whole, "ports": {"port": vmspec.Whole}}}},
			"networks": {"name": vmspec.Whole, "pod": vmspec.Whole},
		},
	})
	run := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("skip", func() error {
		_, err := vmspec.Decode(data, vmspec.Compile(vmspec.Fields{}))
		return err
	})
	run("tokens", func() error {
		d := jsontext.NewDecoder(strings.NewReader(string(data)))
		for {
			if _, err := d.ReadToken(); err != nil {
				if d.StackDepth() == 0 {
					return nil
				}
				return err
			}
		}
	})
	run("pruned", func() error { _, err := vmspec.Decode(data, rules); return err })
	run("whole", func() error { _, err := vmspec.Decode(data, nil); return err })
	run("encoding-json", func() error { _, err := vmspectest.Decode(data); return err })
}
