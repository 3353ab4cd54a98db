package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"testing"
)

// TestPKI: each file is what its name says, checked the way a TLS peer
// checks it.
func TestPKI(t *testing.T) {
	p, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	roots := pool(t, p.CA)
	verify := func(pair Pair, usage x509.ExtKeyUsage, name string) error {
		kp, err := tls.LoadX509KeyPair(pair.Cert, pair.Key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(kp.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
	client := x509.ExtKeyUsageClientAuth
	if err := verify(p.Server, x509.ExtKeyUsageServerAuth, ServerName); err != nil {
		t.Errorf("server: %v", err)
	}
	var hostErr x509.HostnameError
	if err := verify(p.Server, x509.ExtKeyUsageServerAuth, "127.0.0.1"); !errors.As(err, &hostErr) {
		t.Errorf("server for 127.0.0.1: %v, want a host name error", err)
	}
	for name, pair := range map[string]Pair{"client": p.Client, "stranger": p.Stranger} {
		if err := verify(pair, client, ""); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var invalid x509.CertificateInvalidError
	if err := verify(p.Expired, client, ""); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("expired: %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if err := verify(p.Foreign, client, ""); !errors.As(err, &unknown) {
		t.Errorf("foreign: %v", err)
	}
	if fi, err := os.Stat(p.Client.Key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("client key mode: %v %v", fi.Mode(), err)
	}
}

func pool(t *testing.T, path string) *x509.CertPool {
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", path)
	}
	return p
}
