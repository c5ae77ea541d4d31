package loadgen

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

func allow(config.Config, rules.Request) rules.Result { return rules.Result{} }

// BenchmarkEndpoint is the server's cost of one AdmissionReview without TLS
// and sockets: the floor (rules that allow everything), and the floor
// answering the patch the rules give, against the real rules, on the same
// fixtures as `make bench`. What profiles of the server are taken from
// (go test -bench Endpoint -cpuprofile).
func BenchmarkEndpoint(b *testing.B) {
	fixtures := []Fixture{GeneratedVM(256)}
	for _, name := range []string{"guide-vm", "bare-vm"} {
		f, err := LoadExample(filepath.Join("..", ".."), name)
		if err != nil {
			b.Fatal(err)
		}
		fixtures = append(fixtures, f)
	}
	cfg := dualStack()
	for _, f := range fixtures {
		patch := rules.Mutate(cfg, rules.Request{Kind: f.Kind, Operation: admissionv1.Create, Object: f.Object, UID: "uid-1"}).Patch
		floorPatch := func(config.Config, rules.Request) rules.Result { return rules.Result{Patch: patch} }
		for _, arm := range []struct {
			name string
			path string
			rule webhook.RuleFunc
		}{
			{"floor", webhook.MutatePath, allow}, {"floor+patch", webhook.MutatePath, floorPatch},
			{"mutate", webhook.MutatePath, rules.Mutate}, {"validate", webhook.ValidatePath, rules.Validate},
		} {
			e := AllowAll()
			if arm.name != "floor" {
				var err error
				if e, err = FromRules(cfg, arm.path, f); err != nil {
					b.Fatal(err)
				}
			}
			c, err := NewCase(f.Name, arm.path, f, e)
			if err != nil {
				b.Fatal(err)
			}
			ep := webhook.NewEndpoint(&webhook.Handler{Name: arm.name, Rule: arm.rule, Config: cfg, Log: logr.Discard()},
				webhook.DefaultMaxBodyBytes, 10*time.Second)
			body := c.body("uid-1")
			b.Run(f.Name+"/"+arm.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					req := httptest.NewRequest(http.MethodPost, arm.path, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					ep.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
					if err := c.verify("uid-1", w.Body.Bytes()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
