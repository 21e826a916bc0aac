package maintenance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops"
)

func TestOnOffStatus(t *testing.T) {
	dir := t.TempDir()
	f := Flag{Path: filepath.Join(dir, "ON"), Now: func() time.Time { return time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) }}
	if st, err := f.Status(); err != nil || st.On {
		t.Fatalf("status before = %+v, %v", st, err)
	}
	if changed, err := f.On("upgrade to v4.5.1"); err != nil || !changed {
		t.Fatalf("on = %v, %v", changed, err)
	}
	if changed, err := f.On("again"); err != nil || changed {
		t.Errorf("second on = %v, %v", changed, err)
	}
	st, err := f.Status()
	if err != nil || !st.On || st.Reason != "maintenance since 2026-11-24T20:00:00Z: upgrade to v4.5.1" {
		t.Errorf("status = %+v, %v", st, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if changed, err := f.Off(); err != nil || !changed {
		t.Errorf("off = %v, %v", changed, err)
	}
	if changed, err := f.Off(); err != nil || changed {
		t.Errorf("second off = %v, %v", changed, err)
	}
}

func TestMisconfigured(t *testing.T) {
	if _, err := (Flag{}).On("x"); !strings.Contains(ops.SafeText(err), "maintenance mode is not configured — set [maintenance] file") {
		t.Errorf("unconfigured: %v", ops.SafeText(err))
	}
	f := Flag{Path: filepath.Join(t.TempDir(), "missing-dir", "ON")}
	if _, err := f.On("x"); !strings.Contains(ops.SafeText(err), "the directory of [maintenance] file is missing") {
		t.Errorf("missing dir: %v", ops.SafeText(err))
	}
}
