package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tootops/tootops/config"
)

// TestInvalidFixtures loads every testdata/bad-*.toml and compares the whole
// error with the sibling .err file. A new invalid case is two new files.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			c, err := noEnv.Load(file)
			if err == nil {
				t.Fatalf("loaded without error:\n%s", c)
			}
			var ps config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, want config.Problems: %v", err, err)
			}
			got := strings.ReplaceAll(err.Error(), abs, "testdata") + "\n"
			if strings.Contains(got, "never-shown") || strings.Contains(got, "NEVERSHOWN") || strings.Contains(got, "4242424242") || strings.Contains(got, "hunter2") {
				t.Errorf("error leaks a secret:\n%s", got)
			}
			golden(t, name+".err", got)
		})
	}
	// Every golden has its fixture, so a renamed fixture leaves no orphan.
	errs, _ := filepath.Glob("testdata/bad-*.err")
	for _, e := range errs {
		if _, err := os.Stat(strings.TrimSuffix(e, ".err") + ".toml"); err != nil {
			t.Errorf("%s has no fixture", e)
		}
	}
}
