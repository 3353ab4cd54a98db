package manager

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/jigmq/jigmq/mqmanager"
)

func (t TLS) files() mqmanager.TLSFiles {
	return mqmanager.TLSFiles{CA: t.CA, Cert: t.Cert, Key: t.Key, ServerName: t.ServerName}
}

// set reports whether anything of broker.tls is configured.
func (t TLS) set() bool { return !t.files().IsZero() || t.External }

// tlsConfig builds the TLS configuration; nil when nothing is configured
// (amqps:// URLs then use the system's CAs). Certificate verification is
// always on: there is no setting to turn it off.
func (t TLS) tlsConfig() (*tls.Config, error) {
	cfg, err := t.files().Config()
	if err != nil {
		return nil, fmt.Errorf("broker.tls: %w", err)
	}
	return cfg, nil
}

// validateTLS reports what is wrong with broker.tls, and TLS settings that
// a plain amqp:// URL would silently ignore.
func (b Broker) validateTLS() []error {
	var errs []error
	if _, err := b.TLS.tlsConfig(); err != nil {
		errs = append(errs, err)
	}
	if b.TLS.External && b.TLS.Cert == "" {
		errs = append(errs, errors.New("broker.tls.external: needs cert and key (the certificate is the login)"))
	}
	if err := keyPrivate(b.TLS.Key); err != nil {
		errs = append(errs, err)
	}
	if !b.TLS.set() {
		return errs
	}
	for _, raw := range b.URLs {
		if u, err := url.Parse(raw); err == nil && u.Scheme != "amqps" {
			errs = append(errs, fmt.Errorf("broker.urls: %s is not amqps:// but broker.tls is set: "+
				"the connection would not use TLS", mqmanager.Redact(raw)))
		}
	}
	return errs
}

// keyPrivate refuses a client key file that everyone may read.
func keyPrivate(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil // tlsConfig reports it
	}
	if fi.Mode().Perm()&0o004 != 0 {
		return fmt.Errorf("broker.tls.key: %s is readable by everyone (mode %04o): "+
			"make it 0640 root:jig-manager, or 0600", path, fi.Mode().Perm())
	}
	return nil
}
