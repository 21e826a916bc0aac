package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tootops/tootops/ops"
)

// DiskUsage is the size of a file system, as df counts it.
type DiskUsage struct {
	Total int64 // bytes
	Used  int64 // bytes in use
	Free  int64 // bytes available to unprivileged users (without the root reserve)
}

// UsedPercent is the share in use, rounded up as df does: Used of what users can have
// (Used + Free), so a disk whose reserve is all that is left shows 100%.
func (u DiskUsage) UsedPercent() int {
	if u.Used+u.Free <= 0 {
		return 0
	}
	return int(math.Ceil(float64(u.Used) * 100 / float64(u.Used+u.Free)))
}

// Statfs measures file systems with statfs(2).
type Statfs struct{}

var _ Disks = Statfs{}

// Usage measures the file system holding path.
func (Statfs) Usage(path string) (DiskUsage, error) {
	u, err := statfs(path)
	if err != nil {
		return u, &ops.Error{Msg: diskError(err), Err: err}
	}
	return u, nil
}

// pathError is a failed statfs of a path.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return "statfs " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// diskError is the short text of a failed statfs or read: "no such file or directory".
func diskError(err error) string {
	var (
		pe *os.PathError
		se *pathError
	)
	switch {
	case errors.As(err, &pe):
		return pe.Err.Error()
	case errors.As(err, &se):
		return se.err.Error()
	}
	return err.Error()
}

// netText is the short text of a failed request, without the addresses net.OpError
// repeats: "connection refused", "no such host".
func netText(err error) string {
	var (
		dns *net.DNSError
		op  *net.OpError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &op):
		return op.Err.Error()
	}
	return "request failed"
}

// Load is the load average.
type Load struct {
	One, Five, Fifteen float64
	CPUs               int // 0 when unknown
}

// Memory is the host's memory, in bytes.
type Memory struct {
	Total     int64
	Available int64 // MemAvailable: what can be had without swapping
}

// Proc reads the load and memory from /proc (Dir, default "/proc"). In a container it
// sees the host's numbers, which are the ones that matter.
type Proc struct {
	Dir string
}

var _ Host = Proc{}

func (p Proc) path(name string) string {
	dir := p.Dir
	if dir == "" {
		dir = "/proc"
	}
	return filepath.Join(dir, name)
}

// Load reads loadavg, and counts the CPUs in stat (all of the host's, which the load is
// about), else runtime.NumCPU.
func (p Proc) Load() (Load, error) {
	b, err := os.ReadFile(p.path("loadavg"))
	if err != nil {
		return Load{}, &ops.Error{Msg: "cannot read " + p.path("loadavg") + ": " + diskError(err), Err: err}
	}
	l, err := ParseLoadavg(string(b))
	if err != nil {
		return l, err
	}
	if stat, err := os.ReadFile(p.path("stat")); err == nil {
		l.CPUs = CountCPUs(string(stat))
	}
	if l.CPUs == 0 {
		l.CPUs = runtime.NumCPU()
	}
	return l, nil
}

// Memory reads meminfo.
func (p Proc) Memory() (Memory, error) {
	b, err := os.ReadFile(p.path("meminfo"))
	if err != nil {
		return Memory{}, &ops.Error{Msg: "cannot read " + p.path("meminfo") + ": " + diskError(err), Err: err}
	}
	return ParseMeminfo(string(b))
}

// ParseLoadavg reads /proc/loadavg: "0.42 0.37 0.30 1/123 4567".
func ParseLoadavg(s string) (Load, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return Load{}, &ops.Error{Msg: fmt.Sprintf("unexpected /proc/loadavg %q", shorten(s, 40))}
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i], 64)
		if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return Load{}, &ops.Error{Msg: fmt.Sprintf("unexpected /proc/loadavg %q", shorten(s, 40))}
		}
		v[i] = x
	}
	return Load{One: v[0], Five: v[1], Fifteen: v[2]}, nil
}

// CountCPUs counts the cpuN lines of /proc/stat; 0 when there are none.
func CountCPUs(stat string) int {
	n := 0
	for line := range strings.Lines(stat) {
		name, _, _ := strings.Cut(line, " ")
		if rest, ok := strings.CutPrefix(name, "cpu"); ok && rest != "" {
			if _, err := strconv.Atoi(rest); err == nil {
				n++
			}
		}
	}
	return n
}

// ParseMeminfo reads MemTotal and MemAvailable from /proc/meminfo ("MemTotal:  8041236
// kB"; the unit is KiB whatever it says). Kernels before 3.14 have no MemAvailable: there
// it is estimated as MemFree + Buffers + Cached.
func ParseMeminfo(s string) (Memory, error) {
	kb := map[string]int64{}
	for line := range strings.Lines(s) {
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			continue
		}
		kb[key] = n
	}
	total, ok := kb["MemTotal"]
	if !ok || total == 0 {
		return Memory{}, &ops.Error{Msg: "no MemTotal in /proc/meminfo"}
	}
	avail, ok := kb["MemAvailable"]
	if !ok {
		avail = kb["MemFree"] + kb["Buffers"] + kb["Cached"]
	}
	return Memory{Total: total * 1024, Available: min(avail, total) * 1024}, nil
}

// HTTPPinger pings with GET: any 200 is healthy, whatever the body (Mastodon answers OK,
// newer versions JSON).
type HTTPPinger struct {
	Client *http.Client // nil: one with a 10 s timeout
}

var _ Pinger = (*HTTPPinger)(nil)

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

// Ping GETs url.
func (h *HTTPPinger) Ping(ctx context.Context, url string) error {
	c := h.Client
	if c == nil {
		c = defaultHTTP
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &ops.Error{Msg: "bad URL " + url, Err: err}
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ops.Error{Msg: "cannot reach " + url + ": " + netText(err), Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return &ops.Error{Msg: "answered " + resp.Status}
	}
	return nil
}
