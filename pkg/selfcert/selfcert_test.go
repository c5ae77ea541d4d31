package selfcert

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOnlyNamed: list and watch of the named collections carry the name's
// field selector (what lets RBAC grant them by resourceNames); a single
// object's GET, other collections and writes are sent as they are.
func TestOnlyNamed(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
	}))
	defer srv.Close()
	rt := OnlyNamed(map[string]string{"/api/v1/namespaces/ns/secrets": "tls"})(http.DefaultTransport)
	c := &http.Client{Transport: rt}
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/api/v1/namespaces/ns/secrets?limit=500", "GET /api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dtls&limit=500"},
		{"GET", "/api/v1/namespaces/ns/secrets?watch=true&fieldSelector=x%3Dy", "GET /api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dtls&watch=true"},
		{"GET", "/api/v1/namespaces/ns/secrets/tls", "GET /api/v1/namespaces/ns/secrets/tls"},
		{"GET", "/api/v1/namespaces/other/secrets", "GET /api/v1/namespaces/other/secrets"},
		{"PUT", "/api/v1/namespaces/ns/secrets", "PUT /api/v1/namespaces/ns/secrets"},
	} {
		got = nil
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s %s reached the server as %v, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestStartNeedsItsNames(t *testing.T) {
	if _, _, err := Start(t.Context(), Options{}); err == nil {
		t.Error("Start without a Secret, names and cert dir succeeded")
	}
}
