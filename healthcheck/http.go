package healthcheck

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBody bounds how much of a response body HTTP_GET/SSL_GET read
// for digest and regex checks. keepalived reads the whole body; a bound
// keeps one misbehaving server from costing unbounded memory.
const DefaultMaxBody = 4 << 20

// maxHeaderBytes bounds a response's status line and headers.
const maxHeaderBytes = 64 << 10

// userAgent is what keepalived sends.
const userAgent = "KeepAliveClient"

// HTTPOptions configures HTTP_GET and SSL_GET.
type HTTPOptions struct {
	Conn Conn
	// TLS selects SSL_GET.
	TLS bool
	// Protocol is http_protocol: "1.0" (default), "1.0C" (1.0 with
	// "Connection: close") or "1.1" (which always sends "Connection: close").
	Protocol string
	// VirtualHost is the Host header default (virtualhost of the checker,
	// else of the real server, else of the virtual server; the daemon
	// resolves that chain). Empty sends the target address.
	VirtualHost string
	// URLs are the url blocks; all must pass. With none, keepalived
	// enables the server without probing, and so does Check (the config
	// layer should warn).
	URLs []URL
	// EnableSNI sends SNI (enable_sni); the name is SNIName (sni_name), else
	// the virtual host.
	EnableSNI bool
	SNIName   string
	// SSL is the global SSL block (ca, certificate, key, password).
	SSL SSLOptions
	// MaxBody bounds the body read for digest/regex (DefaultMaxBody if 0).
	MaxBody int64
}

// SSLOptions mirrors keepalived's top-level SSL block.
type SSLOptions struct {
	// CA is a PEM file (ca). When set, alived verifies the server's chain
	// against it (host name not checked: servers are addressed by IP);
	// without it, like keepalived, the certificate is not verified.
	CA string
	// Certificate and Key are PEM files of a client certificate
	// (certificate, key), for servers that require one.
	Certificate string
	Key         string
	// Password (password) decrypts an encrypted key; alived supports only
	// unencrypted PEM keys and rejects a password.
	Password string
}

// URL is one url block.
type URL struct {
	// Path is the request path (path), default "/".
	Path string
	// Digest is the expected MD5 of the body as hex (digest, genhash).
	Digest string
	// StatusCodes are the accepted status codes (status_code), default
	// 200-299. ParseStatusCodes reads keepalived's "200 300-399" form.
	StatusCodes []StatusRange
	// VirtualHost overrides HTTPOptions.VirtualHost for this url.
	VirtualHost string
	// Regex must match the body (regex), or with RegexNoMatch must not.
	// Go's RE2 syntax is used instead of PCRE2; the common subset agrees.
	Regex        string
	RegexNoMatch bool
	// RegexOptions are regex_options names; caseless, multiline, dotall and
	// ungreedy map onto RE2 flags, pure optimisation hints are accepted and
	// ignored, and options RE2 cannot honour are rejected.
	RegexOptions []string
	// RegexMinOffset is where in the body matching starts
	// (regex_min_offset); RegexMaxOffset, if positive, is the largest body
	// offset a match may start at (regex_max_offset).
	RegexMinOffset int
	RegexMaxOffset int
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// ParseStatusCodes parses status_code arguments ("200", "300-399").
func ParseStatusCodes(args []string) ([]StatusRange, error) {
	var out []StatusRange
	for _, a := range args {
		lo, hi, isRange := strings.Cut(a, "-")
		l, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("status_code %q: not a number or range", a)
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("status_code %q: not a number or range", a)
			}
		}
		if l < 100 || h > 999 || l > h {
			return nil, fmt.Errorf("status_code %q: must be in 100-999 with low <= high", a)
		}
		out = append(out, StatusRange{l, h})
	}
	return out, nil
}

// regexFlags maps regex_options to RE2 flags; "" means accepted as a no-op.
var regexFlags = map[string]string{
	"caseless": "i", "multiline": "m", "dotall": "s", "ungreedy": "U",
	"utf": "", "ucp": "", "never_utf": "", "never_ucp": "", "no_auto_capture": "",
	"no_auto_possess": "", "no_dotstar_anchor": "", "no_start_optimize": "",
	"use_offset_limit": "", "auto_callout": "", "dupnames": "", "never_backslash_c": "",
}

type compiledURL struct {
	URL
	digest []byte
	re     *regexp.Regexp
	// req is the request sent for this url, built once by NewHTTP.
	req string
}

// HTTPChecker is HTTP_GET or SSL_GET.
type HTTPChecker struct {
	o    HTTPOptions
	urls []compiledURL
	tls  *tls.Config
}

// NewHTTP validates o (paths, digests, regexes, status codes, TLS files)
// and returns an HTTP_GET or SSL_GET checker.
func NewHTTP(o HTTPOptions) (*HTTPChecker, error) {
	kind := KindHTTP
	if o.TLS {
		kind = KindSSL
	}
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	switch o.Protocol {
	case "":
		o.Protocol = "1.0"
	case "1.0", "1.0C", "1.1":
	default:
		return nil, fmt.Errorf("%s: http_protocol %q: want 1.0, 1.0C or 1.1", kind, o.Protocol)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	c := &HTTPChecker{o: o}
	for i, u := range o.URLs {
		cu, err := compileURL(u)
		if err != nil {
			return nil, fmt.Errorf("%s: url %d (%s): %w", kind, i+1, u.Path, err)
		}
		c.urls = append(c.urls, cu)
	}
	for i := range c.urls {
		c.urls[i].req = c.request(&c.urls[i])
	}
	if o.TLS {
		cfg, err := o.tlsConfig()
		if err != nil {
			return nil, fmt.Errorf("%s: SSL: %w", kind, err)
		}
		c.tls = cfg
	}
	return c, nil
}

func compileURL(u URL) (compiledURL, error) {
	if u.Path == "" {
		u.Path = "/"
	}
	if strings.ContainsAny(u.Path, " \r\n") {
		return compiledURL{}, fmt.Errorf("path %q contains spaces or line breaks", u.Path)
	}
	if len(u.StatusCodes) == 0 {
		u.StatusCodes = []StatusRange{{200, 299}}
	}
	cu := compiledURL{URL: u}
	if u.Digest != "" {
		d, err := hex.DecodeString(u.Digest)
		if err != nil || len(d) != md5.Size {
			return compiledURL{}, fmt.Errorf("digest %q: want 32 hex digits (an MD5 sum)", u.Digest)
		}
		cu.digest = d
	}
	if u.Regex == "" && (u.RegexNoMatch || len(u.RegexOptions) > 0) {
		return compiledURL{}, errors.New("regex_no_match/regex_options without regex")
	}
	if u.RegexMinOffset < 0 || u.RegexMaxOffset < 0 || (u.RegexMaxOffset > 0 && u.RegexMaxOffset < u.RegexMinOffset) {
		return compiledURL{}, fmt.Errorf("regex offsets %d..%d are invalid", u.RegexMinOffset, u.RegexMaxOffset)
	}
	if u.Regex != "" {
		flags := ""
		for _, opt := range u.RegexOptions {
			f, ok := regexFlags[opt]
			if !ok {
				return compiledURL{}, fmt.Errorf("regex_options %q is not supported (RE2 engine)", opt)
			}
			if !strings.Contains(flags, f) {
				flags += f
			}
		}
		expr := u.Regex
		if flags != "" {
			expr = "(?" + flags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return compiledURL{}, fmt.Errorf("regex %q: %w", u.Regex, err)
		}
		cu.re = re
	}
	return cu, nil
}

func (o HTTPOptions) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS10}
	if o.EnableSNI {
		cfg.ServerName = o.SNIName
		if cfg.ServerName == "" {
			cfg.ServerName = o.VirtualHost
		}
	}
	if o.SSL.Password != "" {
		return nil, errors.New("password: encrypted keys are not supported; decrypt the key file")
	}
	if (o.SSL.Certificate == "") != (o.SSL.Key == "") {
		return nil, errors.New("certificate and key must be given together")
	}
	if o.SSL.Certificate != "" {
		cert, err := tls.LoadX509KeyPair(o.SSL.Certificate, o.SSL.Key)
		if err != nil {
			return nil, fmt.Errorf("certificate/key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.SSL.CA == "" {
		// keepalived does not verify the server certificate without a CA.
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(o.SSL.CA)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca %s: no PEM certificates", o.SSL.CA)
	}
	// Verify the chain but not the name: real servers are addressed by IP
	// and rarely carry it in their certificate.
	cfg.InsecureSkipVerify = true
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return fmt.Errorf("parse server certificate: %w", err)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
		return err
	}
	return cfg, nil
}

// Kind returns KindHTTP or KindSSL.
func (c *HTTPChecker) Kind() Kind {
	if c.o.TLS {
		return KindSSL
	}
	return KindHTTP
}

// Budget gives each url its own connect_timeout, as keepalived times each
// request separately.
func (c *HTTPChecker) Budget(connectTimeout time.Duration) time.Duration {
	return connectTimeout * time.Duration(max(len(c.urls), 1))
}

// Check requests every url in turn, each on a fresh connection with its
// share of ctx's deadline, and passes if all pass.
func (c *HTTPChecker) Check(ctx context.Context) Result {
	for i := range c.urls {
		uctx := ctx
		// The last url's share is whatever is left of ctx: no context
		// (and timer) of its own, which saves them in the common case of
		// a single url.
		if dl, ok := ctx.Deadline(); ok && i < len(c.urls)-1 {
			share := time.Until(dl) / time.Duration(len(c.urls)-i)
			var cancel context.CancelFunc
			uctx, cancel = context.WithTimeout(ctx, share)
			defer cancel()
		}
		if err := c.get(uctx, &c.urls[i]); err != nil {
			return fail(fmt.Errorf("url %s: %w", c.urls[i].Path, err))
		}
	}
	return Result{}
}

// request builds the request keepalived sends.
func (c *HTTPChecker) request(u *compiledURL) string {
	host := u.VirtualHost
	if host == "" {
		host = c.o.VirtualHost
	}
	if host == "" {
		// Like keepalived: the target address with its port, always, and
		// IPv6 in brackets (RFC 2732); a virtualhost is sent as given.
		host = c.o.Conn.Addr.String()
	}
	proto, closeHdr := "HTTP/1.0", ""
	switch c.o.Protocol {
	case "1.0C":
		closeHdr = "Connection: close\r\n"
	case "1.1":
		proto, closeHdr = "HTTP/1.1", "Connection: close\r\n"
	}
	return "GET " + u.Path + " " + proto + "\r\nUser-Agent: " + userAgent + "\r\n" + closeHdr + "Host: " + host + "\r\n\r\n"
}

func (c *HTTPChecker) get(ctx context.Context, u *compiledURL) error {
	conn, closeConn, err := c.o.Conn.dialTCP(ctx)
	if err != nil {
		return err
	}
	how := closeGraceful
	defer func() { closeConn(how) }()
	var rw net.Conn = conn
	if c.tls != nil {
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return ctxErr(ctx, "TLS handshake", err)
		}
		rw = tc
	}
	if _, err := io.WriteString(rw, u.req); err != nil {
		return ctxErr(ctx, "send request", err)
	}
	// Bound everything read from the server, headers included: a server
	// streaming an endless header must not grow memory until the deadline.
	rb := responseReaders.Get().(*responseReader)
	defer rb.release()
	lr := &rb.lr
	*lr = io.LimitedReader{R: rw, N: maxHeaderBytes + c.o.MaxBody + 1}
	rb.br.Reset(lr)
	// settle reads the rest of a received response to the server's close
	// (see drainToClose). When that close was read a plain close (no
	// SO_LINGER round) is enough; over TLS the close_notify exchange is
	// not tracked, so those keep the lingering close.
	settle := func() {
		if drainToClose(rb.br, lr) && c.tls == nil {
			how = closeQuiet
		}
	}
	if u.digest == nil && u.re == nil {
		// The common check needs only the status: read it without
		// building an http.Response (a third of a probe's allocations).
		code, err := readStatus(rb.br, lr)
		if err != nil {
			return ctxErr(ctx, "read response", err)
		}
		settle()
		if !statusOK(u.StatusCodes, code) {
			return fmt.Errorf("status %d not in %s", code, formatRanges(u.StatusCodes))
		}
		return nil
	}
	resp, err := http.ReadResponse(rb.br, &rb.req)
	if err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("read response: headers larger than %d bytes", maxHeaderBytes)
		}
		return ctxErr(ctx, "read response", err)
	}
	// The connection is closed by closeConn; closing the body too keeps the
	// contract of http.ReadResponse.
	defer resp.Body.Close()
	if !statusOK(u.StatusCodes, resp.StatusCode) {
		return fmt.Errorf("status %d not in %s", resp.StatusCode, formatRanges(u.StatusCodes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxBody+1))
	if err != nil {
		return ctxErr(ctx, "read body", err)
	}
	settle()
	if int64(len(body)) > c.o.MaxBody {
		return fmt.Errorf("body larger than %d bytes", c.o.MaxBody)
	}
	if u.digest != nil {
		if sum := md5.Sum(body); string(sum[:]) != string(u.digest) {
			return fmt.Errorf("digest %x, want %x", sum, u.digest)
		}
	}
	if u.re != nil {
		matched := regexAt(u.re, body, u.RegexMinOffset, u.RegexMaxOffset)
		if matched == u.RegexNoMatch {
			if u.RegexNoMatch {
				return fmt.Errorf("regex %q matched (regex_no_match)", u.Regex)
			}
			return fmt.Errorf("regex %q did not match", u.Regex)
		}
	}
	return nil
}

// readStatus reads a response's status line and headers and returns the
// status code. Like keepalived, it does not judge header lines beyond
// finding their end.
func readStatus(br *bufio.Reader, lr *io.LimitedReader) (int, error) {
	h := headReader{br: br, lr: lr}
	line, err := h.line()
	if err != nil {
		return 0, err
	}
	code, ok := parseStatusLine(line)
	if !ok {
		return 0, fmt.Errorf("malformed HTTP status line %q", strings.TrimRight(string(line), "\r\n"))
	}
	for {
		line, err := h.line()
		if err != nil {
			return 0, err
		}
		if line == nil {
			continue // a long line, not the end
		}
		if len(line) <= 2 && strings.TrimRight(string(line), "\r\n") == "" {
			return code, nil
		}
	}
}

// drainToClose reads and discards what is left of a response until the
// server closes the connection, within the read bound and the probe's
// deadline, and reports whether the close was read. keepalived reads
// every response to the server's close too.
//
// Waiting for the close is what keeps the probe's source port from being
// reused too early: a client that closes first leaves its side in
// FIN_WAIT2, which with the TIME_WAIT table full is dropped at once while
// the server may still hold the connection; a new probe from the same port
// then meets it and times out (the benchmark saw this as HTTP_GET false
// downs with SYN challenge ACKs). An error or the bound ends the wait
// without failing the probe: the status was received.
func drainToClose(br *bufio.Reader, lr *io.LimitedReader) bool {
	_, err := br.WriteTo(io.Discard)
	return err == nil && lr.N > 0
}

// headReader reads the lines of a response head within maxHeaderBytes.
type headReader struct {
	br    *bufio.Reader
	lr    *io.LimitedReader
	bytes int
}

// line returns the next line with its line ending, valid until the next
// call; nil (and no error) for a line longer than the read buffer, whose
// rest it skips.
func (h *headReader) line() ([]byte, error) {
	long := false
	for {
		line, err := h.br.ReadSlice('\n')
		h.bytes += len(line)
		if h.bytes > maxHeaderBytes || (err != nil && err != bufio.ErrBufferFull && h.lr.N <= 0) {
			return nil, fmt.Errorf("headers larger than %d bytes", maxHeaderBytes)
		}
		switch {
		case err == bufio.ErrBufferFull:
			long = true
		case err == io.EOF:
			return nil, io.ErrUnexpectedEOF
		case err != nil:
			return nil, err
		case long:
			return nil, nil
		default:
			return line, nil
		}
	}
}

// parseStatusLine reads the code of "HTTP/x.y NNN reason".
func parseStatusLine(line []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("HTTP/"))
	if !ok {
		return 0, false
	}
	_, rest, ok = bytes.Cut(rest, []byte(" "))
	if !ok || len(rest) < 3 {
		return 0, false
	}
	if len(rest) > 3 && rest[3] != ' ' && rest[3] != '\r' && rest[3] != '\n' {
		return 0, false
	}
	code := 0
	for _, c := range rest[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
		code = code*10 + int(c-'0')
	}
	return code, true
}

// responseReader is the per-probe reading state, pooled: its 4 KiB
// buffer was half of what an HTTP probe allocated, and at thousands of
// probes a second the collector's work grows with it.
type responseReader struct {
	lr  io.LimitedReader
	br  *bufio.Reader
	req http.Request
}

var responseReaders = sync.Pool{New: func() any {
	return &responseReader{br: bufio.NewReaderSize(nil, 4096), req: http.Request{Method: http.MethodGet}}
}}

// release returns rb to the pool without references to the connection.
func (rb *responseReader) release() {
	rb.br.Reset(nil)
	rb.lr = io.LimitedReader{}
	responseReaders.Put(rb)
}

// regexAt reports whether re matches body starting at or after minOff and,
// if maxOff > 0, starting no later than maxOff.
func regexAt(re *regexp.Regexp, body []byte, minOff, maxOff int) bool {
	if minOff > len(body) {
		return false
	}
	loc := re.FindIndex(body[minOff:])
	if loc == nil {
		return false
	}
	return maxOff <= 0 || minOff+loc[0] <= maxOff
}

func statusOK(rs []StatusRange, code int) bool {
	for _, r := range rs {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

func formatRanges(rs []StatusRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.Itoa(r.Lo)
		if r.Hi != r.Lo {
			parts[i] += "-" + strconv.Itoa(r.Hi)
		}
	}
	return strings.Join(parts, " ")
}
