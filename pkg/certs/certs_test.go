package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	ips, err := ParseIPs([]string{"10.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(dir, []string{"vmnet-webhook.vmnet-system.svc"}, ips); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{CAFile: 0o644, CertFile: 0o644, KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %o, want %o", name, fi.Mode().Perm(), mode)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("dir holds %d files, want 3 (no temporary files, no CA key)", len(entries))
	}

	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf := pair.Leaf
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFile))
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt holds no certificate")
	}
	for _, name := range []string{"localhost", "vmnet-webhook.vmnet-system.svc", "127.0.0.1", "::1", "10.0.0.7"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); err == nil {
		t.Error("certificate valid for a name it was not issued for")
	}
	if d := leaf.NotAfter.Sub(leaf.NotBefore); d > ServingValidity+clockSkew || d < ServingValidity {
		t.Errorf("validity %s", d)
	}
	block, _ := pem.Decode(caPEM)
	ca, _ := x509.ParseCertificate(block.Bytes)
	if !ca.IsCA || !ca.MaxPathLenZero || leaf.IsCA {
		t.Error("CA constraints wrong")
	}
}

func TestServingDedupesNames(t *testing.T) {
	ca, err := NewCA("t", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := ca.Serving([]string{"localhost", "a.svc"}, []net.IP{net.ParseIP("127.0.0.1")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(p.CertPEM)
	c, _ := x509.ParseCertificate(block.Bytes)
	if !slices.Equal(c.DNSNames, []string{"localhost", "a.svc"}) || len(c.IPAddresses) != 2 || c.Subject.CommonName != "a.svc" {
		t.Errorf("names %v ips %v cn %q", c.DNSNames, c.IPAddresses, c.Subject.CommonName)
	}
}

func TestParseIPsRejectsNonsense(t *testing.T) {
	if _, err := ParseIPs([]string{"1.2.3.4", "not-an-ip"}); err == nil || err.Error() != `"not-an-ip" is not an IP address` {
		t.Errorf("err %v", err)
	}
}

// A client certificate carries its groups as organizations, where
// kube-apiserver reads them (the e2e harness's admin is in system:masters).
func TestClientGroups(t *testing.T) {
	ca, err := NewCA("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Client("admin", time.Now(), "system:masters", "team")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pair.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// One RDN set holds them, which DER sorts; the API server reads a set.
	groups := slices.Sorted(slices.Values(cert.Subject.Organization))
	if cert.Subject.CommonName != "admin" || !slices.Equal(groups, []string{"system:masters", "team"}) {
		t.Errorf("subject %v", cert.Subject)
	}
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("extended key usage %v", cert.ExtKeyUsage)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: poolOf(ca.Cert), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("does not verify against its CA: %v", err)
	}
}

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
