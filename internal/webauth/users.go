package webauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/alived/alived/internal/atomicfile"
)

// DefaultUsersFile is where the daemon and alivectl find the users
// (--web.users-file, alivectl user --users-file).
const DefaultUsersFile = "/etc/alived/users.json"

// UsersFileVersion is the users file format this code writes and reads.
const UsersFileVersion = 1

// Role is what a user may do on the web listener.
type Role string

// The roles, each allowed everything the one before it is.
const (
	// Viewer reads: status, configuration, history, overrides, events.
	Viewer Role = "viewer"
	// Operator also switches real and virtual servers on and off:
	// overrides (drain, maint, weight, ready) and enable/disable edits.
	Operator Role = "operator"
	// Admin also edits the configuration, applies, rolls back and
	// reloads.
	Admin Role = "admin"
)

// rank orders the roles; 0 is no role.
func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Operator:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Allows reports whether r may do what need requires.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", fmt.Errorf("role %q: want viewer, operator or admin", s)
}

// Users is the users file.
type Users struct {
	Version int    `json:"version"`
	Users   []User `json:"users"`
}

// User is one web user.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// PasswordHash is argon2id in PHC form; empty: no password login
	// (tokens only).
	PasswordHash string  `json:"password_hash,omitempty"`
	Tokens       []Token `json:"tokens,omitempty"`
}

// Token is an API token as stored: never the token itself.
type Token struct {
	// ID is the token's public part, shown in lists and logs.
	ID string `json:"id"`
	// Hash is the SHA-256 of the whole token, hex.
	Hash    string    `json:"sha256"`
	Created time.Time `json:"created"`
}

// validName is a user name: what fits in logs, the audit trail and a
// command line without quoting.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckName refuses user names that are not plain words.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("user name %q: want 1-64 letters, digits, '.', '_', '@' or '-'", name)
	}
	return nil
}

// ParseUsers reads a users file's content, refusing anything malformed:
// a daemon must not guess who may log in.
func ParseUsers(data []byte) (*Users, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var u Users
	if err := dec.Decode(&u); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed JSON: data after the users object")
	}
	if u.Version != UsersFileVersion {
		return nil, fmt.Errorf("version %d: this alived reads version %d", u.Version, UsersFileVersion)
	}
	seen := map[string]bool{}
	ids := map[string]bool{}
	for i, us := range u.Users {
		if err := CheckName(us.Name); err != nil {
			return nil, fmt.Errorf("users[%d]: %w", i, err)
		}
		if seen[us.Name] {
			return nil, fmt.Errorf("users[%d]: user %q listed twice", i, us.Name)
		}
		seen[us.Name] = true
		if _, err := ParseRole(string(us.Role)); err != nil {
			return nil, fmt.Errorf("user %s: %w", us.Name, err)
		}
		if us.PasswordHash != "" {
			if _, _, _, err := parseHash(us.PasswordHash); err != nil {
				return nil, fmt.Errorf("user %s: password_hash: %w", us.Name, err)
			}
		}
		for j, t := range us.Tokens {
			if len(t.ID) != 8 || len(t.Hash) != 64 || ids[t.ID] {
				return nil, fmt.Errorf("user %s: tokens[%d]: malformed or duplicate id/sha256", us.Name, j)
			}
			ids[t.ID] = true
		}
	}
	return &u, nil
}

// LoadUsers reads the users file at path. A missing file is an error
// that satisfies errors.Is(err, fs.ErrNotExist).
func LoadUsers(path string) (*Users, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	u, err := ParseUsers(data)
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	return u, nil
}

// LoadUsersOrEmpty is LoadUsers that starts an empty file when none
// exists (alivectl user add creates it).
func LoadUsersOrEmpty(path string) (*Users, error) {
	u, err := LoadUsers(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Users{Version: UsersFileVersion, Users: []User{}}, nil
	}
	return u, err
}

// Save writes the file atomically with mode 0600: it holds hashes, which
// are offline-guessable, so only root reads it.
func (u *Users) Save(path string) error {
	data, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("users file directory: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}

// Find returns the named user, nil if there is none.
func (u *Users) Find(name string) *User {
	i := slices.IndexFunc(u.Users, func(x User) bool { return x.Name == name })
	if i < 0 {
		return nil
	}
	return &u.Users[i]
}

// Add adds a user with a password (hashed with p).
func (u *Users) Add(name string, role Role, password string, p KDFParams) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if u.Find(name) != nil {
		return fmt.Errorf("user %s exists (use passwd to change the password)", name)
	}
	h, err := hashChecked(password, p)
	if err != nil {
		return err
	}
	u.Users = append(u.Users, User{Name: name, Role: role, PasswordHash: h})
	return nil
}

// SetPassword replaces a user's password. Sessions opened with the old
// one end (Auth compares the hash a session was opened with).
func (u *Users) SetPassword(name, password string, p KDFParams) error {
	us := u.Find(name)
	if us == nil {
		return fmt.Errorf("no user %s", name)
	}
	h, err := hashChecked(password, p)
	if err != nil {
		return err
	}
	us.PasswordHash = h
	return nil
}

// SetRole changes a user's role.
func (u *Users) SetRole(name string, role Role) error {
	us := u.Find(name)
	if us == nil {
		return fmt.Errorf("no user %s", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	us.Role = role
	return nil
}

// Remove deletes a user with their tokens.
func (u *Users) Remove(name string) error {
	n := len(u.Users)
	u.Users = slices.DeleteFunc(u.Users, func(x User) bool { return x.Name == name })
	if len(u.Users) == n {
		return fmt.Errorf("no user %s", name)
	}
	return nil
}

// NewToken creates an API token for a user and returns it: the file
// keeps only its hash, so this is the one time it can be shown.
func (u *Users) NewToken(name string, now time.Time) (string, error) {
	us := u.Find(name)
	if us == nil {
		return "", fmt.Errorf("no user %s", name)
	}
	tok, id, err := newToken()
	if err != nil {
		return "", err
	}
	us.Tokens = append(us.Tokens, Token{ID: id, Hash: hashToken(tok), Created: now.UTC()})
	return tok, nil
}

// RevokeToken deletes a user's token by ID.
func (u *Users) RevokeToken(name, id string) error {
	us := u.Find(name)
	if us == nil {
		return fmt.Errorf("no user %s", name)
	}
	n := len(us.Tokens)
	us.Tokens = slices.DeleteFunc(us.Tokens, func(t Token) bool { return t.ID == id })
	if len(us.Tokens) == n {
		return fmt.Errorf("user %s has no token %s", name, id)
	}
	return nil
}

// byToken finds the user a token belongs to.
func (u *Users) byToken(token string) (*User, *Token) {
	id := tokenID(token)
	if id == "" {
		return nil, nil
	}
	for i := range u.Users {
		for j := range u.Users[i].Tokens {
			t := &u.Users[i].Tokens[j]
			if t.ID == id && tokenMatches(token, t.Hash) {
				return &u.Users[i], t
			}
		}
	}
	return nil, nil
}

// minPassword is the shortest password accepted: NIST SP 800-63B's
// minimum for a memorised secret.
const minPassword = 8

// hashChecked refuses passwords too short to resist guessing, then
// hashes.
func hashChecked(password string, p KDFParams) (string, error) {
	if len(password) < minPassword {
		return "", fmt.Errorf("password too short: at least %d characters", minPassword)
	}
	if len(password) > 1024 {
		return "", errors.New("password too long: at most 1024 bytes")
	}
	return HashPassword(password, p)
}
