package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/webauth"
)

// TestUserCommands drives alivectl user through a users file: add with
// the password on stdin, list, passwd, role, token (printed once, kept
// only as a hash), revoke, rm; bad input changes nothing and exits with
// the documented codes.
func TestUserCommands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "alived", "users.json")
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		u := &userCmd{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, now: time.Now,
			kdf: webauth.KDFParams{Memory: 64, Time: 1, Threads: 1}}
		code := u.run(append(args, "--users-file", file))
		return code, out.String(), errOut.String()
	}
	if code, out, _ := run("", "list"); code != 0 || !strings.Contains(out, "no users") {
		t.Fatalf("list of nothing: %d %s", code, out)
	}
	if code, out, errOut := run("first-passw0rd\n", "add", "alice", "--role", "admin", "--password-stdin"); code != 0 || !strings.Contains(out, "added alice (admin)") {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file: %v %v", fi, err)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		code  int
	}{
		{"x-passw0rd\n", []string{"add", "alice", "--role", "viewer", "--password-stdin"}, exitFailed}, // exists
		{"x-passw0rd\n", []string{"add", "bob", "--role", "root", "--password-stdin"}, exitUsage},
		{"x-passw0rd\n", []string{"add", "bob", "--password-stdin"}, exitUsage}, // no role
		{"x-passw0rd\n", []string{"add", "b b", "--role", "viewer", "--password-stdin"}, exitUsage},
		{"short\n", []string{"add", "bob", "--role", "viewer", "--password-stdin"}, exitUsage},
		{"x-passw0rd\n", []string{"add", "bob", "--role", "viewer"}, exitFailed}, // stdin is no terminal
		{"", []string{"rm", "nobody"}, exitNotFound},
		{"", []string{"passwd", "nobody", "--password-stdin"}, exitNotFound},
		{"", []string{"token", "alice", "--revoke", "00000000"}, exitNotFound},
		{"", []string{"frobnicate"}, exitUsage},
		{"", []string{"rm"}, exitUsage},
	} {
		before, _ := os.ReadFile(file)
		if code, _, errOut := run(c.stdin, c.args...); code != c.code || !strings.HasPrefix(errOut, "alivectl: user: ") && c.code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", c.args, code, errOut, c.code)
		}
		if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
			t.Errorf("%v changed the users file", c.args)
		}
	}
	if code, _, _ := run("second-passw0rd\n", "passwd", "alice", "--password-stdin"); code != 0 {
		t.Fatal("passwd failed")
	}
	if code, _, _ := run("", "role", "alice", "operator"); code != 0 {
		t.Fatal("role failed")
	}
	code, tok, errOut := run("", "token", "alice")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "alived_") || !strings.Contains(errOut, "shown once") {
		t.Fatalf("token: %d %q %s", code, tok, errOut)
	}
	data, _ := os.ReadFile(file)
	if strings.Contains(string(data), tok) || strings.Contains(string(data), "passw0rd") {
		t.Fatalf("users file holds a secret:\n%s", data)
	}
	users, err := webauth.LoadUsers(file)
	if err != nil {
		t.Fatal(err)
	}
	a := users.Find("alice")
	if ok, _ := webauth.VerifyPassword(a.PasswordHash, "second-passw0rd"); !ok || a.Role != webauth.Operator || len(a.Tokens) != 1 {
		t.Fatalf("alice after passwd, role, token: %+v", a)
	}
	code, out, _ := run("", "list", "--json")
	var rows []struct {
		Name, Role string
		Tokens     []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].Tokens[0] != a.Tokens[0].ID || strings.Contains(out, tok) {
		t.Fatalf("list --json: %d %s", code, out)
	}
	if code, out, _ := run("", "list"); code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, a.Tokens[0].ID) {
		t.Fatalf("list: %s", out)
	}
	if code, _, _ := run("", "token", "alice", "--revoke", a.Tokens[0].ID); code != 0 {
		t.Fatal("revoke failed")
	}
	if code, _, _ := run("", "rm", "alice"); code != 0 {
		t.Fatal("rm failed")
	}
	if users, _ := webauth.LoadUsers(file); len(users.Users) != 0 {
		t.Fatalf("after rm: %+v", users.Users)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte("{"), 0o600)
	var errOut2 bytes.Buffer
	if code := (&userCmd{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errOut2, now: time.Now}).run([]string{"list", "--users-file", bad}); code != exitFailed || !strings.Contains(errOut2.String(), "malformed") {
		t.Fatalf("malformed users file: %d %s", code, errOut2.String())
	}
}
