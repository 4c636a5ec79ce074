package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseArgsKeepalivedForms(t *testing.T) {
	o, err := parseArgs([]string{"-nlD", "-fone.conf", "--config-id", "lb1", "--config-test=/tmp/log", "-S", "3", "--pid=/run/a.pid", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.dontFork || !o.logConsole || !o.logDetail || o.configFile != "one.conf" || o.configID != "lb1" ||
		!o.configTest || o.configLog != "/tmp/log" || o.logFacility != "3" || o.pidFile != "/run/a.pid" {
		t.Errorf("parsed %+v", o)
	}
	if len(o.unexpected) != 1 || o.unexpected[0] != "extra" {
		t.Errorf("unexpected args = %v", o.unexpected)
	}
	o, err = parseArgs([]string{"-t", "-f", "x.conf", "-d", "-P", "-C", "-X", "-V", "-I", "-e"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.configTest || o.configLog != "" || o.configFile != "x.conf" || !o.dumpConf || !o.vrrpOnly || !o.checkOnly ||
		!o.releaseVIPs || !o.dontRelVRRP || !o.dontRelIPVS || !o.allConfig {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{"--bogus"}, {"-Z"}, {"-f"}, {"--use-file"}, {"--dump-conf=x"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunModes(t *testing.T) {
	if code, out, _ := runArgs("-v"); code != 0 || !strings.HasPrefix(out, "alived ") {
		t.Errorf("-v: %d %q", code, out)
	}
	if code, out, _ := runArgs("--help"); code != 0 || !strings.Contains(out, "--config-test") {
		t.Errorf("--help: %d", code)
	}
	if code, _, errs := runArgs("--bogus"); code != 1 || !strings.Contains(errs, "unknown option --bogus") {
		t.Errorf("--bogus: %d %q", code, errs)
	}
}

func TestConfigTestExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.conf")
	if code, _, errs := runArgs("-t", "-f", missing); code != 0 || !strings.Contains(errs, "Config files missing") {
		t.Errorf("missing file without -e: %d %q (keepalived 2.2.7 exits 0)", code, errs)
	}
	if code, _, _ := runArgs("-t", "-e", "-f", missing); code != 4 {
		t.Errorf("missing file with -e: %d, want 4", code)
	}
	if code, _, _ := runArgs("-t", "-f", dir); code != 0 {
		t.Errorf("directory as config: %d, want 0", code)
	}
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("global_defs {\n  no_such_keyword 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runArgs("-t", "-f", bad)
	if code != 5 || !strings.Contains(errs, bad+":2: error: Unknown keyword 'no_such_keyword'") {
		t.Errorf("unknown keyword: %d %q", code, errs)
	}
	logFile := filepath.Join(dir, "test.log")
	code, _, errs = runArgs("--config-test="+logFile, "-f", bad)
	logged, _ := os.ReadFile(logFile)
	if code != 5 || errs != "" || !strings.Contains(string(logged), "no_such_keyword") {
		t.Errorf("--config-test=FILE: code %d stderr %q log %q", code, errs, logged)
	}
}

func TestDumpConfIsResolvedJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.conf")
	src := "virtual_server 192.0.2.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n persistence_timeout\n real_server 192.0.2.2 80 {\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runArgs("-d", "-f", path)
	if code != 0 {
		t.Fatalf("-d exit %d: %s", code, errs)
	}
	var dump struct {
		VirtualServers []struct {
			Scheduler          string `json:"lvs_sched"`
			PersistenceTimeout int64  `json:"persistence_timeout"`
			RealServers        []struct {
				Weight   int `json:"weight"`
				Checkers []struct {
					HTTP struct {
						URLs []struct {
							StatusCode []struct{ Min, Max int } `json:"status_code"`
						} `json:"urls"`
					} `json:"http"`
				} `json:"checkers"`
			} `json:"real_servers"`
		} `json:"virtual_servers"`
	}
	if err := json.Unmarshal([]byte(out), &dump); err != nil {
		t.Fatalf("dump is not JSON: %v\n%s", err, out)
	}
	v := dump.VirtualServers[0]
	if v.Scheduler != "rr" || v.PersistenceTimeout != 360e9 || v.RealServers[0].Weight != 1 ||
		v.RealServers[0].Checkers[0].HTTP.URLs[0].StatusCode[0].Min != 200 {
		t.Errorf("dump not resolved: %+v", v)
	}
}

// TestDebugPprofFlag checks that profiles stay off unless asked for.
func TestDebugPprofFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--debug.pprof"}, true}} {
		o, err := parseArgs(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := observeFrom(o).Pprof; got != tc.want {
			t.Errorf("%v: Pprof %v, want %v", tc.args, got, tc.want)
		}
	}
}
