package webui

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func catalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(read(t, "i18n/"+lang+".json")), &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// usedKeys are the catalog keys the page looks up: t('key') calls,
// data-i18n attributes, the column keys tables pass to t(), and the key
// families the script builds from data (roles, states, overrides, the
// checker fields).
func usedKeys(t *testing.T) []string {
	js, html := read(t, "app.js"), read(t, "index.html")
	keys := map[string]bool{}
	add := func(re string, src string) {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			keys[m[1]] = true
		}
	}
	add(`\bt\('([a-z_]+\.[a-z0-9_.]+)'`, js)
	add(`'(col\.[a-z_]+)'`, js)
	add(`data-i18n="([^"]+)"`, html)
	add(`\['(?:url\.)?([a-z_]+)', '(?:text|num|flag|line|dns)'\]`, js)
	for k := range keys {
		// The checker field rows name keywords; the script looks them
		// up as f.<keyword>.
		if !strings.Contains(k, ".") {
			delete(keys, k)
			keys["f."+k] = true
		}
	}
	for _, k := range []string{"role.viewer", "role.operator", "role.admin", "state.master", "state.backup",
		"state.fault", "state.init", "ov.drain", "ov.maint", "ov.ready", "ov.weight"} {
		keys[k] = true
	}
	// Every dynamic lookup (t('prefix.' + x)) must be one of the families
	// above, or this test no longer knows what the page needs.
	for _, m := range regexp.MustCompile(`\bt\('([a-z.]+)' \+`).FindAllStringSubmatch(js, -1) {
		if !slices.Contains([]string{"role.", "state.", "ov.", "f."}, m[1]) {
			t.Errorf("dynamic catalog lookup t('%s' + ...) the test does not cover", m[1])
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// TestCatalogsMatchAndCoverThePage: ja and en have the same keys, no
// empty message, and every key the page uses.
func TestCatalogsMatchAndCoverThePage(t *testing.T) {
	ja, en := catalog(t, "ja"), catalog(t, "en")
	for k, v := range en {
		if _, ok := ja[k]; !ok {
			t.Errorf("ja.json lacks %q", k)
		}
		if v == "" {
			t.Errorf("en.json: %q is empty", k)
		}
	}
	for k, v := range ja {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
		if v == "" {
			t.Errorf("ja.json: %q is empty", k)
		}
	}
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("found only %d keys in the sources: the lookup pattern is out of date", len(used))
	}
	for _, k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("the page uses %q, which the catalogs lack", k)
		}
	}
	// Placeholders agree between the languages.
	ph := regexp.MustCompile(`\{[0-9]\}`)
	for k, v := range en {
		a, b := ph.FindAllString(v, -1), ph.FindAllString(ja[k], -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%q: en has placeholders %v, ja %v", k, a, b)
		}
	}
}

// TestNoInlineScriptOrMarkupFromData: the page has no inline script or
// handler (the CSP forbids them, so they would silently not run) and the
// script never turns strings into markup.
func TestNoInlineScriptOrMarkupFromData(t *testing.T) {
	html, js := read(t, "index.html"), read(t, "app.js")
	if regexp.MustCompile(`(?i)<script>|<script[^>]*>[^<]|\son[a-z]+=|javascript:|style=`).MatchString(html) {
		t.Error("index.html has inline script, an inline handler or an inline style")
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

// TestHandlerServesTheAppWithSecurityHeaders: every file is served with
// the CSP and nosniff, / is the page, directories are not listed and
// nothing but GET/HEAD is accepted.
func TestHandlerServesTheAppWithSecurityHeaders(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": "text/html", "/app.js": "text/javascript", "/style.css": "text/css",
		"/i18n/ja.json": "application/json", "/i18n/en.json": "application/json"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), want) || len(body) == 0 {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") != CSP || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", path, resp.Header)
		}
		if !strings.Contains(CSP, "default-src 'self'") || !strings.Contains(CSP, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", CSP)
		}
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/i18n/", 404}, {"GET", "/nope.js", 404}, {"POST", "/", 405}, {"GET", "/../webui.go", 404}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
	}
}
