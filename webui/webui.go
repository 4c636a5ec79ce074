// Package webui serves alived's management web UI: a single-page app
// (HTML, one script, one style sheet and the Japanese and English message
// catalogs) embedded in the binary, so a machine without internet access
// serves the whole UI itself. The page talks only to the JSON API under
// /api/v1 (package api) and the login endpoints; this package holds no
// state and does no authentication: whoever composes the listener mounts
// it next to the API and the session layer.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every UI response: only the
// page's own origin may provide script, style, images and connections,
// no inline script or handler runs, and no other site may frame the page.
const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// Handler serves the UI's files at / (index.html for /).
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The embedded tree is fixed at build time; fs.Sub fails only
		// on an invalid name.
		panic("webui: embedded files: " + err.Error())
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		// Revalidate every time: after an upgrade the browser must not
		// mix an old script with a new catalog.
		hd.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hd.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// No directory listings: only "/" is a directory that serves.
		if r.URL.Path != "/" && strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
