package webauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate named cn and its key.
func writeCert(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSConfig: a missing or mismatched pair fails at start-up; a
// renewed certificate is served without a restart; a broken renewal
// keeps the previous one in service.
func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if _, err := TLSConfig(cert, key); err == nil {
		t.Fatal("missing files accepted")
	}
	writeCert(t, cert, key, "one")
	other := filepath.Join(dir, "k2.pem")
	writeCert(t, filepath.Join(dir, "c2.pem"), other, "two")
	if _, err := TLSConfig(cert, other); err == nil {
		t.Fatal("a key that does not match the certificate was accepted")
	}
	cfg, err := TLSConfig(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	served := func() string {
		t.Helper()
		c, err := cfg.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := x509.ParseCertificate(c.Certificate[0])
		return x.Subject.CommonName
	}
	if served() != "one" {
		t.Fatal("not serving the configured certificate")
	}
	writeCert(t, cert, key, "renewed")
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(cert, later, later)
	_ = os.Chtimes(key, later, later)
	if got := served(); got != "renewed" {
		t.Fatalf("after renewal: %s", got)
	}
	if err := os.WriteFile(cert, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(cert, later.Add(time.Minute), later.Add(time.Minute))
	if got := served(); got != "renewed" {
		t.Fatalf("a broken renewal replaced the certificate: %s", got)
	}
}
