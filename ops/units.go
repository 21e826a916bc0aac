package ops

import (
	"fmt"
	"strings"
	"time"
)

// Bytes renders a size for people, in decimal units as disk tools and S3 consoles show
// them: 950 B, 12.3 MB, 1.9 GB.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	prefix := "kMGTPE"[i-1 : i]
	if v < 10 {
		return fmt.Sprintf("%.1f %sB", v, prefix)
	}
	return fmt.Sprintf("%.0f %sB", v, prefix)
}

// Rate renders n bytes over d as a speed: 8.1 MB/s.
func Rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return Bytes(int64(float64(n)/d.Seconds())) + "/s"
}

// Ago renders an age for people: "just now", "5 min ago", "3 h ago", "3 days ago".
func Ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// Duration is time.Duration.String without its zero tails: "2m", not "2m0s"; "1h", not
// "1h0m0s".
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Thousands writes n with separators: 1,234,567.
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
