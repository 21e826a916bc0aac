package upgrade

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPruneAssets(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"public-v4.3.9", "public-v4.4.0/public", "public-v4.5.0/public", "public-v4.5.1/public", "public-v4.6.0-rc.1", "uploads", "public-notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A file named like a copy is not the bot's: kept.
	if err := os.WriteFile(filepath.Join(dir, "public-v4.0.0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The link pointed at 4.5.0's public/ (relative, as an admin may have made it).
	removed, err := pruneAssets(dir, filepath.Join(dir, "public-v4.5.1"), "public-v4.5.0/public")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{"public-v4.3.9", "public-v4.4.0", "public-v4.6.0-rc.1"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"public-notes", "public-v4.0.0", "public-v4.5.0", "public-v4.5.1", "uploads"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}

func TestPruneAssetsFirstUpgrade(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "public-v4.5.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	// No link before: nothing else to keep, nothing to remove.
	removed, err := pruneAssets(dir, filepath.Join(dir, "public-v4.5.1"), "")
	if err != nil || len(removed) != 0 {
		t.Errorf("pruneAssets = %q, %v; want nothing removed", removed, err)
	}
}
