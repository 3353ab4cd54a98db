// Package testpki makes a throwaway certificate authority and the
// certificates that the TLS tests need: a broker's, good and bad client
// certificates, and a second CA that signed nothing the broker trusts. It
// also runs a private RabbitMQ node with an amqps listener for them (see
// Broker). Tests only.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// ClientCN is the common name of the client certificates, and the broker
// user that EXTERNAL (x509) login maps them to.
const ClientCN = "jigmq-tls-client"

// ServerName is the only name in the broker's certificate: no IP address,
// so dialling 127.0.0.1 is a host name mismatch.
const ServerName = "localhost"

// StrangerCN names no broker user: EXTERNAL login with it is refused.
const StrangerCN = "jigmq-no-such-user"

// Pair is a certificate and its private key, as PEM files.
type Pair struct{ Cert, Key string }

// PKI is a set of PEM files in Dir.
type PKI struct {
	Dir      string
	CA       string // the CA that signed the broker's and the good client certificates
	OtherCA  string // a CA the broker does not trust and that did not sign the broker's
	Server   Pair   // the broker's, for ServerName only
	Client   Pair   // CN=ClientCN, signed by CA, valid
	Expired  Pair   // CN=ClientCN, signed by CA, expired yesterday
	Foreign  Pair   // CN=ClientCN, signed by OtherCA
	Stranger Pair   // CN=StrangerCN (no such broker user), signed by CA, valid
}

// issuer is a CA's certificate and key.
type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// New writes a fresh PKI into dir.
func New(dir string) (*PKI, error) {
	p := &PKI{Dir: dir}
	ca, err := p.newCA("jigmq test CA", "ca")
	if err != nil {
		return nil, err
	}
	other, err := p.newCA("jigmq other CA", "other-ca")
	if err != nil {
		return nil, err
	}
	p.CA, p.OtherCA = p.path("ca.pem"), p.path("other-ca.pem")
	now := time.Now()
	server := leaf(ServerName, now.Add(-time.Hour), now.Add(24*time.Hour), x509.ExtKeyUsageServerAuth)
	server.DNSNames = []string{ServerName}
	client := leaf(ClientCN, now.Add(-time.Hour), now.Add(24*time.Hour), x509.ExtKeyUsageClientAuth)
	stranger := leaf(StrangerCN, now.Add(-time.Hour), now.Add(24*time.Hour), x509.ExtKeyUsageClientAuth)
	expired := leaf(ClientCN, now.Add(-48*time.Hour), now.Add(-24*time.Hour), x509.ExtKeyUsageClientAuth)
	for _, c := range []struct {
		pair *Pair
		by   *issuer
		tmpl *x509.Certificate
		name string
	}{
		{&p.Server, ca, server, "server"},
		{&p.Client, ca, client, "client"},
		{&p.Expired, ca, expired, "expired"},
		{&p.Foreign, other, client, "foreign"},
		{&p.Stranger, ca, stranger, "stranger"},
	} {
		if *c.pair, err = p.issue(c.by, c.tmpl, c.name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *PKI) path(name string) string { return filepath.Join(p.Dir, name) }

var serial atomic.Int64

func leaf(cn string, notBefore, notAfter time.Time, usage x509.ExtKeyUsage) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(100 + serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"jigmq tests"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
}

// newCA makes a self-signed CA and writes its certificate as name.pem.
func (p *PKI) newCA(cn, name string) (*issuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-72 * time.Hour),
		NotAfter:              time.Now().Add(72 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issuer{cert: cert, key: key}, writePEM(p.path(name+".pem"), "CERTIFICATE", der, 0o644)
}

// issue signs tmpl with a fresh key and writes name.pem and name.key.
func (p *PKI) issue(by *issuer, tmpl *x509.Certificate, name string) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, by.cert, &key.PublicKey, by.key)
	if err != nil {
		return Pair{}, fmt.Errorf("sign %s: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	pair := Pair{Cert: p.path(name + ".pem"), Key: p.path(name + ".key")}
	if err := writePEM(pair.Cert, "CERTIFICATE", der, 0o644); err != nil {
		return Pair{}, err
	}
	return pair, writePEM(pair.Key, "PRIVATE KEY", keyDER, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}
