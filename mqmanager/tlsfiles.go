package mqmanager

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/jigmq/jigmq/internal/keypath"
)

// TLSFiles name the PEM files of a TLS setup, as jig-manager's broker.tls
// and jigctl's --tls-* flags give them.
type TLSFiles struct {
	// CA is the CAs to trust for the broker's certificate; empty: the system's.
	CA string `yaml:"ca"`
	// Cert and Key are the client certificate and its key; both or neither.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ServerName is the name to verify the broker's certificate for;
	// empty: the URL's host.
	ServerName string `yaml:"server_name"`
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

// TLSSettings are the TLS settings of a broker connection: jig-manager's
// broker.tls section, jigctl's --tls-* flags.
type TLSSettings struct {
	TLSFiles `yaml:",inline"`
	// External logs in with the client certificate (SASL EXTERNAL)
	// instead of a password. Default false.
	External bool `yaml:"external"`
}

// IsZero reports whether nothing is set.
func (s TLSSettings) IsZero() bool { return s.TLSFiles.IsZero() && !s.External }

// TLSNames name the settings in the errors of TLSSettings.Check: a
// configuration file's key paths, or a command line's flags.
type TLSNames struct {
	URLs     string // the broker URLs, e.g. "broker.urls" or "--url"
	TLS      string // the TLS settings, subject of "need": "broker.tls", "--tls-* flags"
	Files    string // what gave the files, before why one does not load: "broker.tls", "TLS flags"
	Cert     string // "broker.tls.cert", "--tls-cert"
	Key      string // "broker.tls.key", "--tls-key"
	External string // "broker.tls.external", "--tls-external"
	Sep      string // after a setting's name, before its problem: ": " after a key path, " " after a flag
}

// KeyPaths names the settings by their keys under section, e.g. "broker",
// or "" for paths relative to BrokerConfig; Check's errors are then
// *keypath.Error.
func KeyPaths(section string) TLSNames {
	k := func(key string) string { return keypath.Child(section, key) }
	return TLSNames{URLs: k("urls"), TLS: k("tls"), Files: k("tls"), Cert: k("tls.cert"),
		Key: k("tls.key"), External: k("tls.external"), Sep: ": "}
}

// problem is err of the setting named name: under its key path (Sep ": "),
// or after the flag and sep.
func (n TLSNames) problem(name, sep string, err error) error {
	if n.Sep == ": " {
		return &keypath.Error{Path: name, Err: err}
	}
	return fmt.Errorf("%s%s%w", name, sep, err)
}

// Check reports every problem of s for a connection to urls, joined, each
// naming its setting by n: TLS set with a URL that is not amqps:// (it
// would silently go without TLS), External without a client certificate
// (it is the login), a key file everyone may read, and files that do not
// load. It returns the loaded configuration (nil when s sets no files).
func (s TLSSettings) Check(urls []string, n TLSNames) (*tls.Config, error) {
	var errs []error
	cfg, err := s.Config()
	if err != nil {
		errs = append(errs, n.problem(n.Files, ": ", err))
	}
	if s.External && s.Cert == "" {
		errs = append(errs, n.problem(n.External, n.Sep, fmt.Errorf("needs %s and %s (the certificate is the login)", n.Cert, n.Key)))
	}
	if err := keyPrivate(s.Key); err != nil {
		errs = append(errs, n.problem(n.Key, n.Sep, err))
	}
	if s.IsZero() {
		return cfg, errors.Join(errs...)
	}
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.Scheme != "amqps" {
			errs = append(errs, n.problem(n.TLS, n.Sep, fmt.Errorf("need an amqps:// %s; %s would not use TLS", n.URLs, Redact(raw))))
		}
	}
	return cfg, errors.Join(errs...)
}

// keyPrivate refuses a client key file that everyone may read. A file
// that cannot be read is TLSFiles.Config's to report.
func keyPrivate(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if fi.Mode().Perm()&0o004 != 0 {
		return fmt.Errorf("%s is readable by everyone (mode %04o): make it 0600, or 0640 for a group "+
			"(root:jig-manager on a fixture PC)", path, fi.Mode().Perm())
	}
	return nil
}
