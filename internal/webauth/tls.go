package webauth

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// certFiles is a certificate and key pair read from files and read again
// when either changes, so a renewed certificate (certbot, an internal
// CA) is served without a restart.
type certFiles struct {
	certFile, keyFile string

	mu              sync.Mutex
	certMod, keyMod time.Time
	cert            *tls.Certificate
}

// load reads the pair if either file changed since the last read. A pair
// that fails to load keeps the previous one in service.
func (c *certFiles) load() (*tls.Certificate, error) {
	ci, err := os.Stat(c.certFile)
	if err != nil {
		return c.keep(fmt.Errorf("TLS certificate: %w", err))
	}
	ki, err := os.Stat(c.keyFile)
	if err != nil {
		return c.keep(fmt.Errorf("TLS key: %w", err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil && ci.ModTime().Equal(c.certMod) && ki.ModTime().Equal(c.keyMod) {
		return c.cert, nil
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		if c.cert != nil {
			return c.cert, nil
		}
		return nil, fmt.Errorf("TLS certificate %s, key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.certMod, c.keyMod = &pair, ci.ModTime(), ki.ModTime()
	return c.cert, nil
}

// keep returns the certificate in service, or err when there is none.
func (c *certFiles) keep(err error) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil {
		return c.cert, nil
	}
	return nil, err
}

// TLSConfig returns the web listener's TLS configuration for a
// certificate and key file (PEM). The pair is read now, so a wrong path
// or a key that does not match fails at start-up, and again whenever
// either file changes.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile}
	if _, err := c.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.load()
		},
	}, nil
}
