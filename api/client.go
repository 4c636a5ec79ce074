package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/status"
)

// Client talks to the API on a Unix socket.
type Client struct {
	http *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{http: &http.Client{Transport: tr}}
}

// do runs one request; the host name is irrelevant on a Unix socket.
func (c *Client) do(ctx context.Context, method, path string, out any) error {
	return c.send(ctx, method, path, nil, out)
}

// send runs one request with in (if not nil) as its JSON body. A non-2xx
// answer is an *APIError.
func (c *Client) send(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://alived"+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading response: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, &e.Body) != nil || e.Body.Error == "" {
			e.Body.Error = fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding response: %w", method, path, err)
	}
	return nil
}

// Status fetches the full snapshot.
func (c *Client) Status(ctx context.Context) (*status.Snapshot, error) {
	var s status.Snapshot
	if err := c.do(ctx, http.MethodGet, "/api/v1/status", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// StatusRaw fetches the full snapshot as the daemon encoded it.
func (c *Client) StatusRaw(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/status", &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Reload asks the daemon to reload and returns its verdict.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/api/v1/reload", nil)
}

// APIError is a non-2xx answer: the HTTP status and the error body.
type APIError struct {
	Status int
	Body   ErrorBody
}

func (e *APIError) Error() string { return e.Body.Error }

// Config fetches the configuration as the editor sees it.
func (c *Client) Config(ctx context.Context) (*control.ConfigView, error) {
	var v control.ConfigView
	return &v, c.do(ctx, http.MethodGet, "/api/v1/config", &v)
}

// Pending fetches the staged edits.
func (c *Client) Pending(ctx context.Context) (*control.Pending, error) {
	var v control.Pending
	return &v, c.do(ctx, http.MethodGet, "/api/v1/changes", &v)
}

// Stage stages one edit.
func (c *Client) Stage(ctx context.Context, e control.Edit) (*control.Pending, error) {
	var v control.Pending
	return &v, c.send(ctx, http.MethodPost, "/api/v1/changes", e, &v)
}

// Discard drops the staged edits.
func (c *Client) Discard(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/changes", nil)
}

// Plan previews the staged edits, or file in place of the main
// keepalived.conf.
func (c *Client) Plan(ctx context.Context, file string) (*control.Plan, error) {
	var v control.Plan
	return &v, c.send(ctx, http.MethodPost, "/api/v1/plan", PlanRequest{File: file}, &v)
}

// Apply writes and reloads the staged edits (or file).
func (c *Client) Apply(ctx context.Context, req ApplyRequest) (*control.ApplyResult, error) {
	var v control.ApplyResult
	return &v, c.send(ctx, http.MethodPost, "/api/v1/apply", req, &v)
}

// History lists the configuration revisions.
func (c *Client) History(ctx context.Context) ([]confstore.RevisionInfo, error) {
	var v []confstore.RevisionInfo
	return v, c.do(ctx, http.MethodGet, "/api/v1/history", &v)
}

// Revision fetches one revision with its diff.
func (c *Client) Revision(ctx context.Context, n int) (*control.RevisionDetail, error) {
	var v control.RevisionDetail
	return &v, c.do(ctx, http.MethodGet, "/api/v1/history/"+strconv.Itoa(n), &v)
}

// Rollback previews (dryRun) or applies a rollback to revision n; the
// result is a *control.Plan or a *control.ApplyResult.
func (c *Client) Rollback(ctx context.Context, n int, dryRun bool) (any, error) {
	path := "/api/v1/history/" + strconv.Itoa(n) + "/rollback"
	if dryRun {
		var p control.Plan
		return &p, c.send(ctx, http.MethodPost, path, RollbackRequest{DryRun: true}, &p)
	}
	var r control.ApplyResult
	return &r, c.send(ctx, http.MethodPost, path, RollbackRequest{}, &r)
}

// Override sets or clears a runtime override; the kernel has changed when
// it returns.
func (c *Client) Override(ctx context.Context, req control.OverrideRequest) (lvs.OverrideSet, error) {
	var v lvs.OverrideSet
	return v, c.send(ctx, http.MethodPost, "/api/v1/overrides", req, &v)
}

// Overrides lists the overrides in force.
func (c *Client) Overrides(ctx context.Context) (lvs.OverrideSet, error) {
	var v lvs.OverrideSet
	return v, c.do(ctx, http.MethodGet, "/api/v1/overrides", &v)
}

// TestMail sends a test mail with the staged (else current) notification
// settings and returns what the SMTP server answered.
func (c *Client) TestMail(ctx context.Context) (*control.TestMailResult, error) {
	var v control.TestMailResult
	return &v, c.do(ctx, http.MethodPost, "/api/v1/test-mail", &v)
}

// AuditLog fetches the last limit audit records, newest first (0: all).
func (c *Client) AuditLog(ctx context.Context, limit int) ([]confstore.AuditRecord, error) {
	var v []confstore.AuditRecord
	return v, c.do(ctx, http.MethodGet, "/api/v1/audit?limit="+strconv.Itoa(limit), &v)
}
