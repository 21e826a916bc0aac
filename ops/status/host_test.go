package status_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/status"
)

func TestParseLoadavg(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    status.Load
		wantErr bool
	}{
		{in: "0.42 0.37 0.30 1/123 4567\n", want: status.Load{One: 0.42, Five: 0.37, Fifteen: 0.30}},
		{in: "12.00 8.50 4.25 17/2048 99999", want: status.Load{One: 12, Five: 8.5, Fifteen: 4.25}},
		{in: "0.00 0.00 0.00", want: status.Load{}},
		{in: "", wantErr: true},
		{in: "0.42 0.37", wantErr: true},
		{in: "0.42 x 0.30 1/1 1", wantErr: true},
		{in: "-1 0 0 1/1 1", wantErr: true},
		{in: "NaN 0 0 1/1 1", wantErr: true},
	} {
		got, err := status.ParseLoadavg(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseLoadavg(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLoadavg(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestCountCPUs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu1 1 2 3 4\nintr 123\nctxt 456\n", 2},
		{"cpu  1 2 3\ncpu0 1 2 3\ncpu1 1\ncpu2 1\ncpu3 1\ncpu15 1\n", 5},
		{"cpu  1 2 3\n", 0},
		{"cpufreq 1\ncpux 2\n", 0},
		{"", 0},
	} {
		if got := status.CountCPUs(tt.in); got != tt.want {
			t.Errorf("CountCPUs(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	const kib = 1024
	for _, tt := range []struct {
		name    string
		in      string
		want    status.Memory
		wantErr bool
	}{
		{
			name: "current kernels",
			in:   "MemTotal:        8041236 kB\nMemFree:          512000 kB\nMemAvailable:    3027420 kB\nBuffers:          100000 kB\nCached:          2000000 kB\n",
			want: status.Memory{Total: 8041236 * kib, Available: 3027420 * kib},
		},
		{
			name: "before 3.14: no MemAvailable",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\nSwapCached: 9 kB\n",
			want: status.Memory{Total: 1000 * kib, Available: 400 * kib},
		},
		{
			name: "available never over total",
			in:   "MemTotal: 1000 kB\nMemAvailable: 2000 kB\n",
			want: status.Memory{Total: 1000 * kib, Available: 1000 * kib},
		},
		{
			name: "junk lines are skipped",
			in:   "garbage\nMemTotal: 2048 kB\nHugePages_Total:       0\nMemAvailable: x kB\nMemAvailable: 1024 kB\n",
			want: status.Memory{Total: 2048 * kib, Available: 1024 * kib},
		},
		{name: "no MemTotal", in: "MemFree: 100 kB\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := status.ParseMeminfo(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestProc reads a /proc made for the test, then the real one.
func TestProc(t *testing.T) {
	dir := t.TempDir()
	for name, s := range map[string]string{
		"loadavg": "1.50 0.75 0.25 3/300 1234\n",
		"stat":    "cpu  9 9 9\ncpu0 1\ncpu1 1\ncpu2 1\ncpu3 1\n",
		"meminfo": "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := status.Proc{Dir: dir}
	l, err := p.Load()
	if err != nil || l != (status.Load{One: 1.5, Five: 0.75, Fifteen: 0.25, CPUs: 4}) {
		t.Errorf("Load() = %+v, %v", l, err)
	}
	m, err := p.Memory()
	if err != nil || m != (status.Memory{Total: 4_096_000_000, Available: 1_024_000_000}) {
		t.Errorf("Memory() = %+v, %v", m, err)
	}
	if _, err := (status.Proc{Dir: filepath.Join(dir, "missing")}).Load(); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("Load() of a missing /proc: %v", err)
	}

	l, err = status.Proc{}.Load()
	if err != nil || l.CPUs < 1 {
		t.Errorf("the real /proc: Load() = %+v, %v", l, err)
	}
	m, err = status.Proc{}.Memory()
	if err != nil || m.Total <= 0 || m.Available <= 0 || m.Available > m.Total {
		t.Errorf("the real /proc: Memory() = %+v, %v", m, err)
	}
}

// TestStatfs measures a temporary directory and compares with df.
func TestStatfs(t *testing.T) {
	dir := t.TempDir()
	u, err := status.Statfs{}.Usage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u.Total <= 0 || u.Used < 0 || u.Free < 0 || u.Used+u.Free > u.Total {
		t.Fatalf("Usage(%s) = %+v", dir, u)
	}
	if p := u.UsedPercent(); p < 0 || p > 100 {
		t.Errorf("UsedPercent() = %d", p)
	}
	out, err := exec.Command("df", "-B1", "--output=size,used,avail", dir).Output()
	if err != nil {
		t.Fatalf("df: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 6 {
		t.Fatalf("df said %q", out)
	}
	size, _ := strconv.ParseInt(f[3], 10, 64)
	used, _ := strconv.ParseInt(f[4], 10, 64)
	if size != u.Total {
		t.Errorf("total %d, df says %d", u.Total, size)
	}
	// Other tests write meanwhile: within 1% of the disk.
	if d := used - u.Used; d > size/100 || d < -size/100 {
		t.Errorf("used %d, df says %d", u.Used, used)
	}

	_, err = status.Statfs{}.Usage(filepath.Join(dir, "missing"))
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("Usage of a missing path: %v", err)
	}
}

func TestUsedPercent(t *testing.T) {
	for _, tt := range []struct {
		u    status.DiskUsage
		want int
	}{
		{status.DiskUsage{Total: 100, Used: 42, Free: 58}, 42},
		{status.DiskUsage{Total: 100, Used: 42, Free: 53}, 45},        // a 5% root reserve, as df counts it
		{status.DiskUsage{Total: 1000, Used: 851, Free: 149}, 86},     // rounded up, as df does
		{status.DiskUsage{Total: 100, Used: 95, Free: 0}, 100},        // only the reserve left
		{status.DiskUsage{Total: 0, Used: 0, Free: 0}, 0},             // a pseudo file system
		{status.DiskUsage{Total: 1 << 40, Used: 0, Free: 1 << 40}, 0}, // empty
	} {
		if got := tt.u.UsedPercent(); got != tt.want {
			t.Errorf("%+v.UsedPercent() = %d, want %d", tt.u, got, tt.want)
		}
	}
}
