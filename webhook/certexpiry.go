package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// servingCertExpiry is read from the certificate the webhook serves, so it
// holds in every certificate mode (self-managed, cert-manager, OpenShift's
// service CA, files of one's own): whoever writes the files, this is what
// the API server is shown.
var servingCertExpiry = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "vmnet_webhook_serving_certificate_expiry_timestamp_seconds",
	Help: "NotAfter of the serving certificate the webhook presents, in seconds since the epoch; set each time tls.crt and tls.key are (re)loaded.",
})

// watchCertificate loads tls.crt and tls.key from dir with controller-runtime's
// certificate watcher, the one its webhook server would otherwise make
// itself, and keeps servingCertExpiry at the NotAfter of each certificate
// it loads. The listeners then serve from the watcher.
func watchCertificate(dir string, log logr.Logger) (*certwatcher.CertWatcher, error) {
	cw, err := certwatcher.New(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return nil, err
	}
	cw.RegisterCallback(func(cert tls.Certificate) { recordExpiry(cert, log) })
	return cw, nil
}

// recordExpiry sets servingCertExpiry from the leaf of cert.
func recordExpiry(cert tls.Certificate, log logr.Logger) {
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			log.Error(err, "cannot read the serving certificate's expiry")
			return
		}
	}
	if leaf == nil {
		return
	}
	servingCertExpiry.Set(float64(leaf.NotAfter.Unix()))
	log.Info("serving certificate loaded", "serial", leaf.SerialNumber.String(), "notAfter", leaf.NotAfter)
}
