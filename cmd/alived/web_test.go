package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/webauth"
	"github.com/alived/alived/ipvs"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files and returns their paths and the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "alived test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// TestWebListenerHTTPS runs the web listener as alived does, with TLS:
// it serves HTTPS only; with no users file / says how to turn the UI
// and API on and the API is off while /metrics works; once a user exists
// (no restart) a login over HTTPS sets a Secure cookie that the API
// accepts.
func TestWebListenerHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir)
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte("global_defs {\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{ConfigFile: conf, NoVRRP: true, Hostname: "test",
		DialIPVS: func() (ipvs.Client, error) { return ipvs.NewFake(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "users.json")
	o := &observer{d: d, src: daemon.NewStatusSource(d, buildInfo(), time.Now()), log: slog.New(slog.DiscardHandler),
		opts: observeOptions{UsersFile: usersFile, TLSCert: certFile, TLSKey: keyFile}}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := o.serveWeb(ctx, "127.0.0.1:0", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); o.wg.Wait() })
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + addr.String()
	do := func(method, path, body, cookie string) (*http.Response, string) {
		t.Helper()
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: webauth.CookieName, Value: cookie})
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if resp, body := do("GET", "/", "", ""); resp.StatusCode != 200 || !strings.Contains(body, "alivectl user add NAME --role admin") {
		t.Fatalf("/ without users: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do("GET", "/metrics", "", ""); resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	if resp, body := do("POST", "/api/v1/login", `{"user":"root","password":"x"}`, ""); resp.StatusCode != 503 {
		t.Fatalf("login without users: %d %s", resp.StatusCode, body)
	}
	if resp, err := http.Get("http://" + addr.String() + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("the TLS listener answered plain HTTP")
		}
	}

	users := &webauth.Users{Version: webauth.UsersFileVersion}
	if err := users.Add("alice", webauth.Admin, "alice-passw0rd", webauth.KDFParams{Memory: 64, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if err := users.Save(usersFile); err != nil {
		t.Fatal(err)
	}
	resp, body := do("POST", "/api/v1/login", `{"user":"alice","password":"alice-passw0rd"}`, "")
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	c := resp.Cookies()[0]
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie over HTTPS: %+v", c)
	}
	if resp, body := do("GET", "/api/v1/whoami", "", c.Value); resp.StatusCode != 200 || !strings.Contains(body, `"admin"`) {
		t.Fatalf("whoami: %d %s", resp.StatusCode, body)
	}
	if resp, body := do("GET", "/", "", ""); resp.StatusCode != 200 || !strings.Contains(body, "no web UI built in") {
		t.Fatalf("/ with users, no UI: %d %s", resp.StatusCode, body)
	}
}

// TestWebUIHook: the UI handler serves / and its assets once users exist,
// and nothing of it is served before.
func TestWebUIHook(t *testing.T) {
	usersFile := filepath.Join(t.TempDir(), "users.json")
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "UI "+r.URL.Path) })
	h := webHandler(webParts{metrics: http.NotFoundHandler(), api: http.NotFoundHandler(),
		auth: webauth.New(webauth.Options{UsersFile: usersFile}), ui: ui})
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code, w.Body.String()
	}
	if code, body := get("/app.js"); code != 404 || strings.Contains(body, "UI") {
		t.Fatalf("UI asset served without users: %d %s", code, body)
	}
	if err := (&webauth.Users{Version: webauth.UsersFileVersion}).Save(usersFile); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/app.js"); code != 200 || body != "UI /app.js" {
		t.Fatalf("UI asset: %d %s", code, body)
	}
}

// TestTLSFlagsGoTogether: a certificate without a key (or the reverse)
// is a start-up error.
func TestTLSFlagsGoTogether(t *testing.T) {
	for _, args := range [][]string{{"--web.tls-cert-file=/c.pem"}, {"--web.tls-key-file", "/k.pem"}} {
		if _, err := parseArgs(args); err == nil || !strings.Contains(err.Error(), "go together") {
			t.Errorf("%v: %v", args, err)
		}
	}
	o, err := parseArgs([]string{"--web.tls-cert-file=/c.pem", "--web.tls-key-file=/k.pem", "--web.users-file=/u.json", "--web.allow-insecure-login"})
	if err != nil {
		t.Fatal(err)
	}
	if ob := observeFrom(o); ob.TLSCert != "/c.pem" || ob.TLSKey != "/k.pem" || ob.UsersFile != "/u.json" || !ob.AllowInsecureLogin {
		t.Fatalf("%+v", ob)
	}
	if ob := observeFrom(&options{}); ob.UsersFile != webauth.DefaultUsersFile {
		t.Fatalf("default users file %q", ob.UsersFile)
	}
}
