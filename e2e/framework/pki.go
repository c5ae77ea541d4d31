package framework

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
)

// pki holds what the control plane needs: a CA (the same kind the webhook's
// `certs` command makes) that signs the API server's serving certificate and
// the admin client certificate, and the key that signs service account
// tokens. All of it lives in the control plane's temporary directory and
// dies with it.
type pki struct {
	ca  *certs.CA
	dir string
}

func newPKI(dir string) (*pki, error) {
	ca, err := certs.NewCA("vmnet-e2e-ca", time.Now())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o600); err != nil {
		return nil, err
	}
	return &pki{ca: ca, dir: dir}, nil
}

// writeServing writes a serving certificate for localhost, 127.0.0.1 and
// ips as name.crt and name.key.
func (p *pki) writeServing(name string, ips ...net.IP) error {
	pair, err := p.ca.Serving(nil, ips, time.Now())
	if err != nil {
		return fmt.Errorf("issue %s certificate: %w", name, err)
	}
	return p.write(name, pair)
}

// writeClient writes a client certificate for user cn in groups as
// name.crt and name.key.
func (p *pki) writeClient(name, cn string, groups ...string) error {
	pair, err := p.ca.Client(cn, time.Now(), groups...)
	if err != nil {
		return fmt.Errorf("issue %s certificate: %w", name, err)
	}
	return p.write(name, pair)
}

func (p *pki) write(name string, pair certs.Pair) error {
	if err := os.WriteFile(filepath.Join(p.dir, name+".crt"), pair.CertPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.dir, name+".key"), pair.KeyPEM, 0o600)
}

// writeServiceAccountKey writes the key pair that signs and verifies
// service account tokens, which kube-apiserver requires.
func (p *pki) writeServiceAccountKey() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, "sa.key"), pemBlock("EC PRIVATE KEY", keyDER), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.dir, "sa.pub"), pemBlock("PUBLIC KEY", pubDER), 0o600)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
