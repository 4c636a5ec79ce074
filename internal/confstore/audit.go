package confstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"time"
)

// Audit results.
const (
	ResultOK       = "ok"
	ResultFailed   = "failed"
	ResultConflict = "conflict"
)

// AuditFile is the audit log's name in the state directory.
const AuditFile = "audit.log"

// AuditRecord is one line of the audit log (JSON lines, append-only).
type AuditRecord struct {
	// Time is when the commit finished.
	Time time.Time `json:"time"`
	// Author is who asked for the change.
	Author string `json:"author"`
	// Revision is the history revision written, 0 when none was.
	Revision int `json:"revision,omitempty"`
	// Message is the author's description.
	Message string `json:"message,omitempty"`
	// Files are the files the commit meant to change.
	Files []string `json:"files"`
	// Diff is the unified diff, with secrets masked (see MaskSecrets).
	Diff string `json:"diff,omitempty"`
	// Result is ResultOK, ResultFailed or ResultConflict.
	Result string `json:"result"`
	// Error is the failure, for the results other than ResultOK.
	Error string `json:"error,omitempty"`
}

// Audit appends a record of an operator action that writes no file (a
// drain, a maint) to the audit log, so the log tells every change an
// operator made, not only the file edits.
func (s *Store) Audit(author, message string, files []string) error {
	if files == nil {
		files = []string{}
	}
	return s.audit(AuditRecord{Author: author, Message: message, Files: files, Result: ResultOK})
}

// AuditLog returns the last limit records of the audit log, newest first
// (all of them when limit <= 0). Lines that do not parse are skipped: the
// log is append-only and a torn last line must not hide the others.
func (s *Store) AuditLog(limit int) ([]AuditRecord, error) {
	b, err := s.fs.ReadFile(filepath.Join(s.dir, AuditFile))
	if errors.Is(err, fs.ErrNotExist) {
		return []AuditRecord{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	lines := bytes.Split(b, []byte("\n"))
	out := []AuditRecord{}
	for i := len(lines) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		var r AuditRecord
		if len(bytes.TrimSpace(lines[i])) == 0 || json.Unmarshal(lines[i], &r) != nil {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Store) audit(r AuditRecord) error {
	r.Time = time.Now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding audit record: %w", err)
	}
	b = append(b, '\n')
	if err := s.fs.AppendFile(filepath.Join(s.dir, AuditFile), b, 0o600); err != nil {
		return fmt.Errorf("appending to audit log: %w", err)
	}
	return nil
}

// Masked is what a secret is replaced by.
const Masked = "********"

var (
	// A keyword taking one secret argument: the VRRP password and the
	// SSL key password. The keyword must start a token (after a diff
	// mark, blank, brace or comment sign), so "my_auth_pass" is not it.
	secretOneArg = regexp.MustCompile(`(^|[\s{}#!+-])(auth_pass|password)([ \t]+)("[^"\n]*"|[^\s"}]+)`)
	// auth_hmac's "key ID SECRET" (hex:…, ascii…): the id stays, the
	// secret goes. "file:" keys name a file, which is no secret. SSL's
	// "key FILE" has one argument and does not match.
	secretKey = regexp.MustCompile(`(^|[\s{}#!+-])(key[ \t]+[^\s}]+)([ \t]+)("[^"\n]*"|[^\s"}]+)`)
)

// MaskSecrets replaces the values of keepalived's secret keywords
// (auth_pass, password, an auth_hmac key) with Masked, line by line, so
// that a diff can go into a log or to a web page. keepalived has no SMTP
// password keyword; a secret hidden behind a $NAME definition is not
// recognised.
func MaskSecrets(text []byte) []byte {
	text = secretOneArg.ReplaceAll(text, []byte("${1}${2}${3}"+Masked))
	return secretKey.ReplaceAllFunc(text, func(m []byte) []byte {
		sub := secretKey.FindSubmatch(m)
		if bytes.HasPrefix(sub[4], []byte("file:")) {
			return m
		}
		return bytes.Join([][]byte{sub[1], sub[2], sub[3], []byte(Masked)}, nil)
	})
}
