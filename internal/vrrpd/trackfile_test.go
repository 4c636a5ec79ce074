package vrrpd

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/alived/alived/config"
)

func TestInitTrackFile(t *testing.T) {
	dir := t.TempDir()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "<missing>"
		} else if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name      string
		existing  string // "" means no file
		init      bool
		value     int
		overwrite bool
		reload    bool
		want      string
	}{
		{"missing is created", "", true, 7, false, false, "7\n"},
		{"missing is created on reload too", "", true, 3, false, true, "3\n"},
		{"existing is kept", "5\n", true, 7, false, false, "5\n"},
		{"overwrite rewrites at start", "5\n", true, 7, true, false, "7\n"},
		{"overwrite leaves it alone on reload", "5\n", true, 7, true, true, "5\n"},
		{"without init_file nothing happens", "", false, 7, true, false, "<missing>"},
	} {
		path := filepath.Join(dir, tc.name)
		if tc.existing != "" {
			if err := os.WriteFile(path, []byte(tc.existing), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f := &config.TrackFile{Name: "tf", File: path, InitFile: tc.init, InitValue: tc.value, InitOverwrite: tc.overwrite}
		if err := initTrackFile(f, tc.reload); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if got := read(path); got != tc.want {
			t.Errorf("%s: file holds %q, want %q", tc.name, got, tc.want)
		}
	}
	// A directory is not overwritten; InitTrackFiles logs and goes on.
	f := &config.TrackFile{Name: "d", File: dir, InitFile: true, InitOverwrite: true}
	if err := initTrackFile(f, false); err == nil {
		t.Error("a directory was accepted as a track file to initialise")
	}
	InitTrackFiles(&config.Config{TrackFiles: []*config.TrackFile{f}}, false, slog.New(slog.DiscardHandler))
}
