package main

import (
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/pflag"
)

// tlsFlags are the TLS settings of an amqps:// --url. The broker's
// certificate is always verified: there is no flag to turn that off.
type tlsFlags struct{ mqmanager.TLSSettings }

// flagNames name the settings in errors by their flags.
var flagNames = mqmanager.TLSNames{URLs: "--url", TLS: "--tls-* flags", Files: "TLS flags",
	Cert: "--tls-cert", Key: "--tls-key", External: "--tls-external", Sep: " "}

func (f *tlsFlags) register(pf *pflag.FlagSet) {
	pf.StringVar(&f.CA, "tls-ca", "",
		"PEM `file` of the CAs that sign the broker's certificate; default the system's (env JIGCTL_TLS_CA)")
	pf.StringVar(&f.Cert, "tls-cert", "",
		"client certificate PEM `file`, with --tls-key (env JIGCTL_TLS_CERT)")
	pf.StringVar(&f.Key, "tls-key", "",
		"client key PEM `file` (env JIGCTL_TLS_KEY)")
	pf.StringVar(&f.ServerName, "tls-server-name", "",
		"`name` the broker's certificate must be for; default the URL's host (env JIGCTL_TLS_SERVER_NAME)")
	pf.BoolVar(&f.External, "tls-external", false,
		"log in with the client certificate (x509, SASL EXTERNAL) instead of a password (env JIGCTL_TLS_EXTERNAL=1)")
}

// broker is how to reach rawURL with these settings. TLS settings with a
// URL that is not amqps:// are an error, not silently ignored.
func (f *tlsFlags) broker(rawURL string) (mqmanager.Broker, error) {
	b := mqmanager.Broker{URLs: []string{rawURL}, External: f.External, Name: "jigctl"}
	var err error
	b.TLS, err = f.Check(b.URLs, flagNames)
	return b, err
}
