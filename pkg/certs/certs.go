// Package certs makes a development CA and certificates signed by it, for
// running the webhook locally and in tests. Clusters get their serving
// certificates from cert-manager or OpenShift's service CA instead.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Validity periods. Short enough that a leaked development key does not
// live long, long enough that nobody regenerates daily.
const (
	CAValidity      = 365 * 24 * time.Hour
	ServingValidity = 90 * 24 * time.Hour
	// clockSkew backdates NotBefore so that a peer whose clock runs a little
	// behind still accepts a fresh certificate.
	clockSkew = 5 * time.Minute
)

// DefaultDNSNames and DefaultIPs are always in a serving certificate, so that
// the webhook can be reached on loopback.
var (
	DefaultDNSNames = []string{"localhost"}
	DefaultIPs      = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

// CA is a certificate authority held in memory.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// CertPEM is Cert, PEM-encoded.
	CertPEM []byte
}

// Pair is a certificate and its private key, PEM-encoded.
type Pair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a self-signed ECDSA P-256 CA named commonName.
func NewCA(commonName string, now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pemBlock("CERTIFICATE", der)}, nil
}

// Serving issues an ECDSA P-256 serving certificate for localhost, 127.0.0.1,
// ::1 and the given names and addresses.
func (ca *CA) Serving(dnsNames []string, ips []net.IP, now time.Time) (Pair, error) {
	dns := append(append([]string{}, DefaultDNSNames...), dnsNames...)
	addrs := append(append([]net.IP{}, DefaultIPs...), ips...)
	cn := dns[len(dns)-1] // the most specific name given
	return ca.issue(pkix.Name{CommonName: cn}, dedupe(dns), dedupeIPs(addrs), x509.ExtKeyUsageServerAuth, now, ServingValidity)
}

// Client issues an ECDSA P-256 client certificate, as the API server would
// present to a webhook that checks client certificates. Groups go into the
// subject's organizations, where kube-apiserver reads a user's groups.
func (ca *CA) Client(commonName string, now time.Time, groups ...string) (Pair, error) {
	return ca.issue(pkix.Name{CommonName: commonName, Organization: groups}, nil, nil, x509.ExtKeyUsageClientAuth, now, ServingValidity)
}

func (ca *CA) issue(subject pkix.Name, dns []string, ips []net.IP, usage x509.ExtKeyUsage, now time.Time, validity time.Duration) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	serial, err := newSerial()
	if err != nil {
		return Pair{}, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		DNSNames:     dns,
		IPAddresses:  ips,
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return Pair{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", keyDER)}, nil
}

// File names written by WriteDir, as the webhook server reads them.
const (
	CAFile   = "ca.crt"
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// WriteDir makes a fresh CA and serving certificate and writes ca.crt,
// tls.crt and tls.key into dir. The CA's key is not kept: nothing else can
// be signed with it. Each file is replaced atomically, so a running server
// that watches the directory never reads half a file.
func WriteDir(dir string, dnsNames []string, ips []net.IP) error {
	now := time.Now()
	ca, err := NewCA("vmnet-webhook development CA", now)
	if err != nil {
		return err
	}
	pair, err := ca.Serving(dnsNames, ips, now)
	if err != nil {
		return err
	}
	return WritePair(dir, ca.CertPEM, pair)
}

// WritePair writes a CA certificate and a serving pair into dir. The key is
// written before the certificate: a watcher that reloads on the certificate
// then finds the matching key.
func WritePair(dir string, caPEM []byte, pair Pair) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, KeyFile), pair.KeyPEM, 0o600); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, CertFile), pair.CertPEM, 0o644); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, CAFile), caPEM, 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ParseIPs parses addresses given on the command line.
func ParseIPs(values []string) ([]net.IP, error) {
	var ips []net.IP
	var errs []error
	for _, v := range values {
		ip := net.ParseIP(v)
		if ip == nil {
			errs = append(errs, fmt.Errorf("%q is not an IP address", v))
			continue
		}
		ips = append(ips, ip)
	}
	return ips, errors.Join(errs...)
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func dedupeIPs(in []net.IP) []net.IP {
	seen := map[string]bool{}
	var out []net.IP
	for _, ip := range in {
		if k := ip.String(); !seen[k] {
			seen[k] = true
			out = append(out, ip)
		}
	}
	return out
}
