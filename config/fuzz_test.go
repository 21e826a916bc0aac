package config_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tootops/tootops/config"
)

// FuzzParse checks that no input panics, that every failure is Problems,
// and that an accepted config renders to TOML that reads back the same.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../config.example.toml", "testdata/bad-*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("[mastodon]\nserver = \"https://Social.Example.coop/\"\nstale_after = \"1d2h\"\n"))
	f.Add([]byte("[backup]\nschedule = \"CRON_TZ=UTC @daily\"\n[compose]\nproject = \"m\"\n[backup.s3]\nbucket = \"b\"\n"))
	f.Add([]byte("a.b.c = 1\n\"quoted.key\" = [[1], {x = 2}]\n"))

	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := noEnv.Parse(bytes.NewReader(data), dir)
		if err != nil {
			var ps config.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %q is not non-empty Problems", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config Validate rejects: %v", err)
		}
		out := c.String()
		if strings.Contains(out, "********") {
			return // masked secrets do not read back
		}
		c2, err := noEnv.Parse(strings.NewReader(out), dir)
		if err != nil {
			t.Fatalf("rendering does not read back: %v\n%s", err, out)
		}
		if out2 := c2.String(); out2 != out {
			t.Fatalf("rendering is not stable:\n%s\nthen:\n%s", out, out2)
		}
	})
}
