package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLogFormatFlag checks that --log-format selects the handler, that the
// flag beats ALIVED_LOG_FORMAT, that the variable still works alone, and
// that a bad value is refused rather than silently logging text.
func TestLogFormatFlag(t *testing.T) {
	cases := []struct {
		args     []string
		env      string
		wantJSON bool
	}{
		{[]string{"--log-format=json"}, "", true},
		{[]string{"--log-format", "text"}, "json", false},
		{[]string{"--log-format=json"}, "text", true},
		{nil, "json", true},
		{nil, "", false},
	}
	for _, c := range cases {
		t.Setenv("ALIVED_LOG_FORMAT", c.env)
		o, err := parseArgs(c.args)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		var buf bytes.Buffer
		log, closeLog, err := newLogger(o, &buf)
		if err != nil {
			t.Fatalf("%v env=%q: %v", c.args, c.env, err)
		}
		log.Info("hello", "k", "v")
		closeLog()
		var rec map[string]any
		isJSON := json.Unmarshal(buf.Bytes(), &rec) == nil && rec["msg"] == "hello" && rec["k"] == "v"
		if isJSON != c.wantJSON {
			t.Errorf("%v env=%q: JSON=%v, want %v; output %q", c.args, c.env, isJSON, c.wantJSON, buf.String())
		}
		if !c.wantJSON && !strings.Contains(buf.String(), "msg=hello k=v") {
			t.Errorf("%v env=%q: not text: %q", c.args, c.env, buf.String())
		}
	}
	t.Setenv("ALIVED_LOG_FORMAT", "")
	o, err := parseArgs([]string{"--log-format=yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := newLogger(o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "yaml") {
		t.Errorf("--log-format=yaml: err = %v, want a refusal", err)
	}
	if code, _, errs := runArgs("-n", "--log-format=xml", "-f", "/nonexistent.conf"); code != 1 || !strings.Contains(errs, "must be text or json") {
		t.Errorf("run --log-format=xml: %d %q", code, errs)
	}
}
