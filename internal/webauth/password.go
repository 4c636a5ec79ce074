// Package webauth authenticates and authorises the web listener: users
// with roles in a users file (argon2id password hashes, hashed API
// tokens), server-side sessions in cookies, login rate limiting, CSRF
// protection and the route → role policy for the JSON API.
//
// The control socket needs none of this (its file mode is the
// authentication); the web listener serves the same API only through
// Auth.Handler.
package webauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDFParams are argon2id's cost parameters. They are stored in every
// hash (PHC string), so raising them later leaves old hashes verifiable.
type KDFParams struct {
	// Memory is in KiB.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultKDF is OWASP's recommended minimum for argon2id (19 MiB, two
// passes, one lane): a login costs tens of milliseconds, and the daemon
// runs at most a few verifications at once (see Auth), so a login flood
// cannot take the load balancer's memory.
func DefaultKDF() KDFParams { return KDFParams{Memory: 19 * 1024, Time: 2, Threads: 1} }

const (
	saltLen = 16
	keyLen  = 32
)

// b64 is PHC's base64: standard alphabet without padding.
var b64 = base64.RawStdEncoding

// HashPassword returns password's argon2id hash as a PHC string,
// "$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH", with a random salt.
func HashPassword(password string, p KDFParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parseHash splits a PHC argon2id string into its parameters, salt and key.
func parseHash(encoded string) (KDFParams, []byte, []byte, error) {
	var p KDFParams
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("argon2 version %q unsupported", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("argon2 parameters %q: %w", parts[3], err)
	}
	// Bounds keep a hand-edited file from making every login cost
	// gigabytes or hours.
	if p.Memory < 8 || p.Memory > 1<<21 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("argon2 parameters %q out of range", parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errors.New("argon2 salt malformed")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, errors.New("argon2 hash malformed")
	}
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC hash; the
// comparison takes the same time wherever the first differing byte is.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// tokenPrefix marks alived API tokens, so a leaked one is recognisable
// (secret scanners) and never mistaken for a password.
const tokenPrefix = "alived_"

// newToken returns a new API token "alived_ID_SECRET" and its ID: the ID
// (public, 8 hex digits) finds the token's record, the 256-bit secret is
// what only the holder knows.
func newToken() (token, id string, err error) {
	raw := make([]byte, 4+32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	id = hex.EncodeToString(raw[:4])
	return tokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(raw[4:]), id, nil
}

// tokenID is the ID part of a token, "" when it is not one.
func tokenID(token string) string {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 8 {
		return ""
	}
	return id
}

// hashToken is what the users file keeps of a token: its SHA-256. A
// token has 256 random bits, so no slow KDF is needed.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenMatches compares a token with a stored hash in constant time.
func tokenMatches(token, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(stored)) == 1
}
