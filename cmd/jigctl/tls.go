package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/pflag"
)

// tlsFlags are the TLS settings of an amqps:// --url. The broker's
// certificate is always verified: there is no flag to turn that off.
type tlsFlags struct {
	files    mqmanager.TLSFiles
	external bool
}

func (f *tlsFlags) register(pf *pflag.FlagSet) {
	pf.StringVar(&f.files.CA, "tls-ca", "",
		"PEM `file` of the CAs that sign the broker's certificate; default the system's (env JIGCTL_TLS_CA)")
	pf.StringVar(&f.files.Cert, "tls-cert", "",
		"client certificate PEM `file`, with --tls-key (env JIGCTL_TLS_CERT)")
	pf.StringVar(&f.files.Key, "tls-key", "",
		"client key PEM `file` (env JIGCTL_TLS_KEY)")
	pf.StringVar(&f.files.ServerName, "tls-server-name", "",
		"`name` the broker's certificate must be for; default the URL's host (env JIGCTL_TLS_SERVER_NAME)")
	pf.BoolVar(&f.external, "tls-external", false,
		"log in with the client certificate (x509, SASL EXTERNAL) instead of a password (env JIGCTL_TLS_EXTERNAL=1)")
}

// broker is how to reach rawURL with these settings. TLS settings with a
// URL that is not amqps:// are an error, not silently ignored.
func (f *tlsFlags) broker(rawURL string) (mqmanager.Broker, error) {
	b := mqmanager.Broker{URLs: []string{rawURL}, External: f.external, Name: "jigctl"}
	if f.files.IsZero() && !f.external {
		return b, nil
	}
	if u, err := url.Parse(rawURL); err == nil && u.Scheme != "amqps" {
		return b, fmt.Errorf("--tls-* flags need an amqps:// --url; %s would not use TLS", mqmanager.Redact(rawURL))
	}
	if f.external && f.files.Cert == "" {
		return b, errors.New("--tls-external needs --tls-cert and --tls-key (the certificate is the login)")
	}
	var err error
	if b.TLS, err = f.files.Config(); err != nil {
		return b, fmt.Errorf("TLS flags: %w", err)
	}
	return b, nil
}
