package healthcheck

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// httpServer serves body with status on every path and records the Host
// header it saw.
func httpServer(t *testing.T, status int, body string) (*httptest.Server, netip.AddrPort) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, addrOf(t, srv.Listener.Addr())
}

func newHTTP(t *testing.T, o HTTPOptions) *HTTPChecker {
	t.Helper()
	c, err := NewHTTP(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// readRequestHead reads a request's lines up to the empty one and returns
// them as read (partial on error).
func readRequestHead(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			return sb.String(), err
		}
		if line == "\r\n" {
			return sb.String(), nil
		}
	}
}

// rawServer answers each connection with resp after reading the request
// head, and sends the request it read on the returned channel.
func rawServer(t *testing.T, resp string) (netip.AddrPort, <-chan string) {
	t.Helper()
	l := listen(t)
	reqs := make(chan string, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			head, _ := readRequestHead(bufio.NewReader(c))
			reqs <- head
			c.Write([]byte(resp))
			c.Close()
		}
	}()
	return addrOf(t, l.Addr()), reqs
}

func TestHTTPRequestIsKeepalivedsRequest(t *testing.T) {
	for _, tc := range []struct {
		proto, vhost, want string
	}{
		{"", "", "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:%d\r\n\r\n"},
		{"1.0C", "", "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:%d\r\n\r\n"},
		{"1.1", "www.example.org", "GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.org\r\n\r\n"},
	} {
		ap, reqs := rawServer(t, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, Protocol: tc.proto, VirtualHost: tc.vhost,
			URLs: []URL{{Path: "/health"}}})
		r, _ := checkWithin(t, c, time.Second)
		mustPass(t, r)
		want := tc.want
		if strings.Contains(want, "%d") {
			want = fmt.Sprintf(want, ap.Port())
		}
		if got := <-reqs; got != want {
			t.Errorf("protocol %q: request\n%q\nwant\n%q", tc.proto, got, want)
		}
	}
}

func TestHTTPStatusCodes(t *testing.T) {
	_, ap := httpServer(t, 503, "down")
	def := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/"}}})
	r, _ := checkWithin(t, def, time.Second)
	mustFail(t, r, "503 against default 200-299")
	if !strings.Contains(r.Err.Error(), "503") {
		t.Errorf("error %q does not name the status", r.Err)
	}
	codes, err := ParseStatusCodes([]string{"200", "500-599"})
	if err != nil {
		t.Fatal(err)
	}
	ok := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/", StatusCodes: codes}}})
	r, _ = checkWithin(t, ok, time.Second)
	mustPass(t, r)
}

func TestHTTPDigest(t *testing.T) {
	_, ap := httpServer(t, 200, "hello world")
	good := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/", Digest: md5hex("hello world")}}})
	r, _ := checkWithin(t, good, time.Second)
	mustPass(t, r)
	bad := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/", Digest: md5hex("hello there")}}})
	r, _ = checkWithin(t, bad, time.Second)
	mustFail(t, r, "wrong digest")
}

func TestHTTPRegex(t *testing.T) {
	_, ap := httpServer(t, 200, "status: OK\nload: 0.5\n")
	for _, tc := range []struct {
		name string
		u    URL
		pass bool
	}{
		{"match", URL{Regex: `load: [0-9.]+`}, true},
		{"miss", URL{Regex: `status: DEGRADED`}, false},
		{"no_match passes on miss", URL{Regex: `DEGRADED`, RegexNoMatch: true}, true},
		{"no_match fails on match", URL{Regex: `status: OK`, RegexNoMatch: true}, false},
		{"caseless", URL{Regex: `STATUS: ok`, RegexOptions: []string{"caseless"}}, true},
		{"case sensitive by default", URL{Regex: `STATUS: ok`}, false},
		{"min offset skips the start", URL{Regex: `status`, RegexMinOffset: 3}, false},
		{"max offset bounds the start", URL{Regex: `load`, RegexMaxOffset: 5}, false},
		{"within offsets", URL{Regex: `load`, RegexMinOffset: 5, RegexMaxOffset: 11}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.u.Path = "/"
			c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{tc.u}})
			r, _ := checkWithin(t, c, time.Second)
			if tc.pass {
				mustPass(t, r)
			} else {
				mustFail(t, r, tc.name)
			}
		})
	}
}

func TestHTTPAllURLsMustPass(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(srv.Close)
	ap := addrOf(t, srv.Listener.Addr())
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/a"}, {Path: "/broken"}}})
	r, _ := checkWithin(t, c, 2*time.Second)
	mustFail(t, r, "second url fails")
	if !strings.Contains(r.Err.Error(), "/broken") {
		t.Errorf("error %q does not name the failing url", r.Err)
	}
}

func TestHTTPWithoutURLsPassesWithoutProbing(t *testing.T) {
	// keepalived enables a server whose HTTP_GET has no url block.
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: closedPort(t)}})
	mustPass(t, c.Check(t.Context()))
}

func TestHTTPHostHeaderIPv6(t *testing.T) {
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: netip.MustParseAddrPort("[::1]:8080")}, URLs: []URL{{Path: "/"}}})
	if got, want := c.request(&c.urls[0]), "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [::1]:8080\r\n\r\n"; got != want {
		t.Errorf("request %q, want %q", got, want)
	}
}

func TestHTTPRefused(t *testing.T) {
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: closedPort(t)}, URLs: []URL{{Path: "/"}}})
	r, _ := checkWithin(t, c, time.Second)
	mustFail(t, r, "refused")
}

func TestHTTPServerNeverAnswersTimesOut(t *testing.T) {
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: silentServer(t)}, URLs: []URL{{Path: "/"}}})
	r, took := checkWithin(t, c, 300*time.Millisecond)
	mustFail(t, r, "silent server")
	if !errors.Is(r.Err, ErrTimeout) || took < 250*time.Millisecond {
		t.Errorf("got %v after %v, want a timeout at the deadline", r.Err, took)
	}
}

// TestHTTPSlowlorisEndsAtDeadline: the server sends a response head (an
// endless header line, or full headers and an endless body) and then one
// byte every 20 ms forever; per-read timeouts would never fire, the
// absolute deadline must.
func TestHTTPSlowlorisEndsAtDeadline(t *testing.T) {
	for name, head := range map[string]string{
		"endless header": "HTTP/1.0 200 OK\r\nX-Pad: ",
		"endless body":   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			addr := serveConns(t, func(c net.Conn, stop <-chan struct{}) {
				if _, err := c.Write([]byte(head)); err != nil {
					return
				}
				for {
					if _, err := c.Write([]byte{'a'}); err != nil {
						return
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			})
			// A digest forces reading the body.
			c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: addr}, URLs: []URL{{Path: "/", Digest: md5hex("x")}}})
			r, took := checkWithin(t, c, 400*time.Millisecond)
			mustFail(t, r, "slowloris")
			if !errors.Is(r.Err, ErrTimeout) || took < 350*time.Millisecond {
				t.Errorf("got %v after %v, want a timeout at the deadline", r.Err, took)
			}
		})
	}
}

func TestHTTPHeadersAreBounded(t *testing.T) {
	l := listen(t)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.0 200 OK\r\nX-Pad: ")
		chunk := []byte(strings.Repeat("a", 4096))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: addrOf(t, l.Addr())}, MaxBody: 1000, URLs: []URL{{Path: "/"}}})
	r, took := checkWithin(t, c, 5*time.Second)
	mustFail(t, r, "endless header line")
	if !strings.Contains(r.Err.Error(), "headers larger than") || took > time.Second {
		t.Errorf("got %v after %v, want the header bound to end the probe early", r.Err, took)
	}
}

func TestHTTPBodyIsBounded(t *testing.T) {
	_, ap := httpServer(t, 200, strings.Repeat("x", 10000))
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, MaxBody: 1000,
		URLs: []URL{{Path: "/", Digest: md5hex(strings.Repeat("x", 10000))}}})
	r, _ := checkWithin(t, c, time.Second)
	mustFail(t, r, "body over MaxBody")
	if !strings.Contains(r.Err.Error(), "larger than 1000") {
		t.Errorf("error %q does not say the body was too large", r.Err)
	}
}

func TestSSLGetWithSNIAndCA(t *testing.T) {
	sni := make(chan string, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secure")
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni <- h.ServerName
		return nil, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ap := addrOf(t, srv.Listener.Addr())
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writePEM(t, ca, srv.Certificate().Raw)

	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, EnableSNI: true, SNIName: "backend.example",
		SSL: SSLOptions{CA: ca}, URLs: []URL{{Path: "/", Digest: md5hex("secure")}}})
	if c.Kind() != KindSSL {
		t.Errorf("kind %s, want SSL_GET", c.Kind())
	}
	r, _ := checkWithin(t, c, 2*time.Second)
	mustPass(t, r)
	if got := <-sni; got != "backend.example" {
		t.Errorf("SNI %q, want backend.example", got)
	}

	noSNI := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, URLs: []URL{{Path: "/"}}})
	r, _ = checkWithin(t, noSNI, 2*time.Second)
	mustPass(t, r)
	if got := <-sni; got != "" {
		t.Errorf("SNI %q sent without enable_sni", got)
	}

	other := filepath.Join(dir, "other.pem")
	writePEM(t, other, selfSigned(t))
	wrongCA := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, SSL: SSLOptions{CA: other}, URLs: []URL{{Path: "/"}}})
	r, _ = checkWithin(t, wrongCA, 2*time.Second)
	mustFail(t, r, "certificate not signed by the configured ca")
}

func TestSSLGetAgainstPlainServerFails(t *testing.T) {
	_, ap := httpServer(t, 200, "plain")
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, URLs: []URL{{Path: "/"}}})
	r, _ := checkWithin(t, c, 2*time.Second)
	mustFail(t, r, "TLS to a plain HTTP server")
	if !strings.Contains(r.Err.Error(), "TLS handshake") {
		t.Errorf("error %q does not name the handshake", r.Err)
	}
}

func TestSSLGetHandshakeStallEndsAtDeadline(t *testing.T) {
	c := newHTTP(t, HTTPOptions{Conn: Conn{Addr: silentServer(t)}, TLS: true, URLs: []URL{{Path: "/"}}})
	r, took := checkWithin(t, c, 300*time.Millisecond)
	mustFail(t, r, "server never completes the handshake")
	if took < 250*time.Millisecond {
		t.Errorf("returned after %v", took)
	}
}

func TestHTTPBadInputIsAnErrorNotAPanic(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.1:80")
	for name, o := range map[string]HTTPOptions{
		"bad regex":        {URLs: []URL{{Regex: "a("}}},
		"short digest":     {URLs: []URL{{Digest: "abc"}}},
		"non-hex digest":   {URLs: []URL{{Digest: strings.Repeat("z", 32)}}},
		"bad protocol":     {Protocol: "2", URLs: []URL{{}}},
		"pcre-only option": {URLs: []URL{{Regex: "a", RegexOptions: []string{"extended"}}}},
		"no_match alone":   {URLs: []URL{{RegexNoMatch: true}}},
		"missing ca":       {TLS: true, SSL: SSLOptions{CA: "/nonexistent/ca.pem"}, URLs: []URL{{}}},
		"cert without key": {TLS: true, SSL: SSLOptions{Certificate: "/x.pem"}, URLs: []URL{{}}},
		"path with space":  {URLs: []URL{{Path: "/a b"}}},
	} {
		o.Conn.Addr = ap
		if _, err := NewHTTP(o); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	for _, bad := range [][]string{{"abc"}, {"300-200"}, {"99"}, {"200-x"}} {
		if _, err := ParseStatusCodes(bad); err == nil {
			t.Errorf("status_code %v accepted", bad)
		}
	}
}

func writePEM(t *testing.T, path string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// clientCert writes a self-signed client certificate and its key as PEM
// files and returns their paths and the certificate.
func clientCert(t *testing.T, dir string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "alived-checker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writePEM(t, certPath, der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, cert
}

func TestSSLGetClientCertificate(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, cert := clientCert(t, dir)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ap := addrOf(t, srv.Listener.Addr())

	with := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, SSL: SSLOptions{Certificate: certPath, Key: keyPath},
		URLs: []URL{{Path: "/", Digest: md5hex("alived-checker")}}})
	r, _ := checkWithin(t, with, 2*time.Second)
	mustPass(t, r)

	without := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, URLs: []URL{{Path: "/"}}})
	r, _ = checkWithin(t, without, 2*time.Second)
	mustFail(t, r, "server requires a client certificate")

	if _, err := NewHTTP(HTTPOptions{Conn: Conn{Addr: ap}, TLS: true, SSL: SSLOptions{Certificate: certPath, Key: certPath}}); err == nil {
		t.Error("certificate file accepted as key")
	}
}

// The status-only path (no digest, no regex) reads the status line and
// the head without net/http; these are the responses it must judge as
// http.ReadResponse did, or fail clearly.
func TestHTTPStatusOnlyResponses(t *testing.T) {
	long := strings.Repeat("a", 10000)
	for _, c := range []struct {
		name, resp string
		ok         bool
		errHas     string
	}{
		{"no reason phrase", "HTTP/1.0 200\r\n\r\n", true, ""},
		{"bare LF line ends", "HTTP/1.1 200 OK\nX: y\n\n", true, ""},
		{"body by length", "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", true, ""},
		{"long header line skipped", "HTTP/1.0 200 OK\r\nX-Long: " + long + "\r\n\r\nbody", true, ""},
		{"wrong status", "HTTP/1.0 503 Busy\r\n\r\n", false, "status 503"},
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", false, "malformed HTTP status line"},
		{"two-digit code", "HTTP/1.0 20 OK\r\n\r\n", false, "malformed HTTP status line"},
		{"four-digit code", "HTTP/1.0 2000 OK\r\n\r\n", false, "malformed HTTP status line"},
		{"cut in the head", "HTTP/1.0 200 OK\r\nX: y\r\n", false, "unexpected EOF"},
		{"empty", "", false, "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ap, _ := rawServer(t, c.resp)
			h := newHTTP(t, HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/"}}})
			r, _ := checkWithin(t, h, time.Second)
			if c.ok {
				if r.Err != nil {
					t.Fatalf("%q failed: %v", c.resp, r.Err)
				}
				return
			}
			mustFail(t, r, c.name)
			if !strings.Contains(r.Err.Error(), c.errHas) {
				t.Errorf("error %q does not mention %q", r.Err, c.errHas)
			}
		})
	}
}

// The probe reads the response to the server's close instead of closing
// first once it has the status (see drainToClose): the server, which
// answers with a Content-Length and closes 150 ms later, must not see the
// probe's FIN before its own close.
func TestHTTPWaitsForTheServersClose(t *testing.T) {
	for _, digest := range []string{"", md5hex("ok")} {
		clientFirst := make(chan bool, 1)
		addr := serveConns(t, func(c net.Conn, stop <-chan struct{}) {
			br := bufio.NewReader(c)
			if _, err := readRequestHead(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
			c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
			_, err := br.ReadByte()
			clientFirst <- !errors.Is(err, os.ErrDeadlineExceeded)
		})
		h := newHTTP(t, HTTPOptions{Conn: Conn{Addr: addr}, URLs: []URL{{Path: "/", Digest: digest}}})
		if r, _ := checkWithin(t, h, 2*time.Second); r.Err != nil {
			t.Fatalf("digest %q: %v", digest, r.Err)
		}
		if <-clientFirst {
			t.Errorf("digest %q: the probe closed before the server did", digest)
		}
	}
}
