package mqmanager

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles name the PEM files of a TLS setup, as jig-manager's broker.tls
// and jigctl's --tls-* flags give them.
type TLSFiles struct {
	CA         string // the CAs to trust for the broker's certificate; empty: the system's
	Cert, Key  string // the client certificate and its key; both or neither
	ServerName string // the name to verify the broker's certificate for; empty: the URL's host
}

// IsZero reports whether nothing is set.
func (f TLSFiles) IsZero() bool { return f == TLSFiles{} }

// Config loads the files into a TLS configuration for Broker.TLS: TLS 1.2
// or later, and the broker's certificate always verified (there is no
// option to turn that off). It returns nil, nil when nothing is set: an
// amqps:// URL then uses the system's CAs and no client certificate.
func (f TLSFiles) Config() (*tls.Config, error) {
	if f.IsZero() {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: f.ServerName, MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", f.CA)
		}
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("a client certificate needs its key, and a key its certificate")
	}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s with key %s: %w", f.Cert, f.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
