package rules

import (
	"fmt"
	"strings"
	"testing"
)

// bigVM has the 256 interfaces the CRD allows, each with ports.
func bigVM(tb testing.TB) []byte {
	var ifaces, nets []string
	ifaces = append(ifaces, `{"name":"default","masquerade":{},"ports":[{"port":80},{"port":443}]}`)
	nets = append(nets, `{"name":"default","pod":{}}`)
	for i := 1; i < 256; i++ {
		ifaces = append(ifaces, fmt.Sprintf(`{"name":"net%d","bridge":{},"model":"virtio","macAddress":"02:00:00:00:%02x:%02x"}`, i, i/256, i%256))
		nets = append(nets, fmt.Sprintf(`{"name":"net%d","multus":{"networkName":"net%d"}}`, i, i))
	}
	return []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"big"},"spec":{"template":{"spec":{` +
		`"domain":{"devices":{"interfaces":[` + strings.Join(ifaces, ",") + `]}},"networks":[` + strings.Join(nets, ",") + `]}}}}`)
}

func benchInputs(b *testing.B) map[string][]byte {
	return map[string][]byte{
		"small": readFixture(b, "testdata/guide-masquerade.yaml"),
		"bare":  readFixture(b, "testdata/bare-vm.yaml"), // every mutation
		"256":   bigVM(b),
	}
}

func BenchmarkMutate(b *testing.B) {
	for _, name := range []string{"small", "bare", "256"} {
		obj := benchInputs(b)[name]
		req := createReq(b, obj)
		cfg := defaults()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(obj)))
			for b.Loop() {
				Mutate(cfg, req)
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, name := range []string{"small", "bare", "256"} {
		obj := benchInputs(b)[name]
		req := createReq(b, obj)
		cfg := defaults()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(obj)))
			for b.Loop() {
				Validate(cfg, req)
			}
		})
	}
}
