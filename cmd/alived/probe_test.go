package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/testenv"
)

// TestProbeKeywordValues is the exhaustive version of the differential
// test: every keyword keepalived registers (testdata/config/
// keepalived-keywords.tsv), inside its block, with an empty, a non-numeric
// and a numeric value, through both programs. It takes several minutes, so
// it only runs with ALIVED_TEST_PROBE=1 (it is how most of keepalived's
// severities in package config were found). Keywords keepalived 2.2.7 does
// not know, and inputs that crash keepalived, are skipped.
func TestProbeKeywordValues(t *testing.T) {
	if os.Getenv("ALIVED_TEST_PROBE") != "1" {
		t.Skip("exhaustive keyword probe: set ALIVED_TEST_PROBE=1 to run (several minutes)")
	}
	testenv.RequireBinary(t, "keepalived")
	alived := buildAlived(t)
	data, err := os.ReadFile("../../testdata/config/keepalived-keywords.tsv")
	if err != nil {
		t.Fatal(err)
	}
	newer := map[string]bool{}
	for _, k := range config.Keywords() {
		if k.NotIn227 || k.Status == config.StatusNotYet {
			newer[k.Block+" "+k.Name] = true
		}
	}
	dir := t.TempDir()
	type job struct{ name, path string }
	var jobs []job
	for i, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			continue
		}
		block := f[0]
		if block == "(top)" {
			block = ""
		}
		if newer[block+" "+f[1]] {
			continue
		}
		for j, val := range []string{"", "bad", "1"} {
			p := filepath.Join(dir, fmt.Sprintf("p%d-%d.conf", i, j))
			if err := os.WriteFile(p, []byte(probeConfig(block, f[1], val)), 0o644); err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, job{fmt.Sprintf("%s %s %q", f[0], f[1], val), p})
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			k := exitCode(t, "keepalived", "-t", "-f", j.path)
			if k < 0 || k >= 128 {
				return // keepalived crashed on this input
			}
			if a := exitCode(t, alived, "-t", "-f", j.path); a != k {
				t.Errorf("%s: keepalived %d, alived %d", j.name, k, a)
			}
		}()
	}
	wg.Wait()
	t.Logf("probed %d inputs", len(jobs))
}

// probeConfig puts `keyword value` inside the blocks named by path.
func probeConfig(path, keyword, value string) string {
	s := strings.TrimSpace(keyword + " " + value)
	if path == "" {
		return s + "\n"
	}
	parts := strings.Split(path, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		head := parts[i]
		switch head {
		case "virtual_server":
			head = "virtual_server 192.0.2.1 80"
		case "real_server":
			head = "real_server 192.0.2.2 80"
		case "vrrp_instance", "vrrp_script", "vrrp_sync_group", "track_file", "vrrp_track_file",
			"vrrp_track_process", "track_group", "bfd_instance":
			head += " X1"
		}
		s = head + " {\n" + s + "\n}"
	}
	return s + "\n"
}
