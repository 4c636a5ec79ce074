package webauth

import (
	"strings"
	"testing"
)

// fastKDF keeps tests quick; the parameters travel in the hash, so
// verification follows them.
var fastKDF = KDFParams{Memory: 64, Time: 1, Threads: 1}

// TestPasswordRoundTrip: a hash verifies its password with the default
// parameters, refuses a wrong one, and two hashes of one password differ
// (random salt).
func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery", DefaultKDF())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q: not a PHC argon2id string, or holds the password", h)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("verify %q: %v %v, want %v", pw, ok, err, want)
		}
	}
	h2, _ := HashPassword("correct horse battery", DefaultKDF())
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

// TestVerifyRefusesMalformedHashes: a damaged or foreign hash is an
// error, never a match.
func TestVerifyRefusesMalformedHashes(t *testing.T) {
	good, _ := HashPassword("password1", fastKDF)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"", "password1", "$2y$10$abcdefghijklmnopqrstuv",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64", "m=99999999", 1),
		strings.Join(append(parts[:4:4], "!!", parts[5]), "$"),
		strings.Join(append(parts[:5:5], "short"), "$"),
	} {
		if ok, err := VerifyPassword(bad, "password1"); ok || err == nil {
			t.Errorf("hash %q: ok=%v err=%v, want an error", bad, ok, err)
		}
	}
}

// TestTokens: a token carries its ID, matches only its own hash, and
// anything else has no ID.
func TestTokens(t *testing.T) {
	tok, id, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	if tokenID(tok) != id || len(tok) < 40 {
		t.Fatalf("token %q id %q", tok, id)
	}
	h := hashToken(tok)
	if !tokenMatches(tok, h) || tokenMatches(tok+"x", h) || strings.Contains(h, tok) {
		t.Fatal("token hash does not match exactly")
	}
	for _, s := range []string{"", "alived_", "alived_short_x", "Bearer " + tok, "xalived_" + id + "_abc"} {
		if tokenID(s) != "" {
			t.Errorf("tokenID(%q) = %q", s, tokenID(s))
		}
	}
}
