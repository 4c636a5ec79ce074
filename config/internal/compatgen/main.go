// Command compatgen rewrites the configuration compatibility section of
// README.md from the keyword registry in package config. Run it from the
// repository root: go run ./config/internal/compatgen
package main

import (
	"fmt"
	"os"

	"github.com/alived/alived/config"
)

func main() {
	if err := run("README.md"); err != nil {
		fmt.Fprintln(os.Stderr, "compatgen:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read README: %w", err)
	}
	updated, ok := config.ReplaceCompatSection(string(old))
	if !ok {
		return fmt.Errorf("%s has no %s ... %s markers", path, config.CompatBegin, config.CompatEnd)
	}
	if updated == string(old) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("write README: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace README: %w", err)
	}
	return nil
}
