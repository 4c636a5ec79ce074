package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// FuzzDecode feeds arbitrary configurations through the parser, the
// decoder and Validate: whatever the input, they must not panic.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/config/*.conf")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	env := Env{Interface: func(name string) (bool, bool) { return name == "eth0" || name == "lo", name == "lo" }}
	noFiles := syntax.Options{
		ReadFile:  func(string) ([]byte, error) { return nil, os.ErrNotExist },
		Glob:      func(string) ([]string, error) { return nil, nil },
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		nodes, _ := syntax.ParseBytes("fuzz.conf", src, noFiles)
		cfg, _ := Decode(nodes)
		if cfg == nil {
			t.Fatal("Decode returned nil")
		}
		_ = cfg.Validate(env)
		_ = CheckScripts(cfg, newFakeSystem())
	})
}
