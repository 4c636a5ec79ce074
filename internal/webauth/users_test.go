package webauth

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUsersFileSafe: the file is written with mode 0600 and holds
// neither a password nor a token in clear, and it reads back.
func TestUsersFileSafe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "users.json")
	u, err := LoadUsersOrEmpty(path)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "s3cret-Passw0rd"
	if err := u.Add("alice", Admin, pw, fastKDF); err != nil {
		t.Fatal(err)
	}
	tok, err := u.NewToken("alice", time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	secret := strings.SplitN(tok, "_", 3)[2]
	if strings.Contains(string(data), pw) || strings.Contains(string(data), secret) {
		t.Fatalf("users file holds a secret in clear:\n%s", data)
	}
	back, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if us, _ := back.byToken(tok); us == nil || us.Name != "alice" {
		t.Fatal("token does not find its user after a round trip")
	}
	if ok, _ := VerifyPassword(back.Find("alice").PasswordHash, pw); !ok {
		t.Fatal("password does not verify after a round trip")
	}
}

// TestUsersFileMalformed: every kind of damage is a clear error naming
// the file, and a missing file is fs.ErrNotExist.
func TestUsersFileMalformed(t *testing.T) {
	dir := t.TempDir()
	h, _ := HashPassword("password1", fastKDF)
	for name, c := range map[string]struct{ text, want string }{
		"json":      {`{"version":1,"users":[`, "malformed JSON"},
		"trailing":  {`{"version":1,"users":[]} {"version":1}`, "after the users object"},
		"version":   {`{"version":2,"users":[]}`, "version 2"},
		"field":     {`{"version":1,"users":[],"admins":[]}`, "unknown field"},
		"role":      {`{"version":1,"users":[{"name":"a","role":"root"}]}`, `role "root"`},
		"name":      {`{"version":1,"users":[{"name":"a b","role":"admin"}]}`, "user name"},
		"duplicate": {`{"version":1,"users":[{"name":"a","role":"admin"},{"name":"a","role":"viewer"}]}`, "twice"},
		"hash":      {`{"version":1,"users":[{"name":"a","role":"admin","password_hash":"plain"}]}`, "password_hash"},
		"token":     {`{"version":1,"users":[{"name":"a","role":"admin","password_hash":"` + h + `","tokens":[{"id":"x","sha256":"y"}]}]}`, "tokens[0]"},
	} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadUsers(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file and %q", name, err, c.want)
		}
	}
	if _, err := LoadUsers(filepath.Join(dir, "none.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestUsersEdits: add refuses duplicates, bad names, bad roles and short
// passwords; passwd, role, rm and token revocation find their user.
func TestUsersEdits(t *testing.T) {
	u := &Users{Version: UsersFileVersion}
	if err := u.Add("bob", Operator, "password1", fastKDF); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		u.Add("bob", Admin, "password1", fastKDF),
		u.Add("../x", Admin, "password1", fastKDF),
		u.Add("carol", "root", "password1", fastKDF),
		u.Add("carol", Admin, "short", fastKDF),
		u.SetPassword("nobody", "password1", fastKDF),
		u.SetRole("bob", "god"),
		u.Remove("nobody"),
		u.RevokeToken("bob", "00000000"),
	} {
		if err == nil {
			t.Error("an invalid edit was accepted")
		}
	}
	old := u.Find("bob").PasswordHash
	if err := u.SetPassword("bob", "password2", fastKDF); err != nil || u.Find("bob").PasswordHash == old {
		t.Fatalf("passwd: %v", err)
	}
	tok, _ := u.NewToken("bob", time.Now())
	if err := u.RevokeToken("bob", tokenID(tok)); err != nil {
		t.Fatal(err)
	}
	if us, _ := u.byToken(tok); us != nil {
		t.Fatal("a revoked token still finds its user")
	}
	if err := u.Remove("bob"); err != nil || u.Find("bob") != nil {
		t.Fatalf("rm: %v", err)
	}
}

// TestRoles: each role allows what the ones below it do, and nothing
// allows an unknown role's request.
func TestRoles(t *testing.T) {
	order := []Role{Viewer, Operator, Admin}
	for i, have := range order {
		for j, need := range order {
			if have.Allows(need) != (i >= j) {
				t.Errorf("%s allows %s: %v", have, need, have.Allows(need))
			}
		}
	}
	if Role("").Allows(Viewer) || Role("root").Allows(Viewer) {
		t.Error("an unknown role is allowed something")
	}
}
