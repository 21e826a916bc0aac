package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a string in Go syntax ("90s",
// "2h30m"), plus a leading count of days ("30d", "1d12h") because retention
// and catch-up periods are naturally counted in days.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const day = 24 * time.Hour

// ParseDuration parses Go duration syntax with an optional leading "Nd".
func ParseDuration(s string) (Duration, error) {
	bad := fmt.Errorf("expected %s, got %q", Duration(0).accepts(), s)
	rest, neg := strings.CutPrefix(s, "-")
	var days time.Duration
	n, after, hasDays := strings.Cut(rest, "d")
	if hasDays {
		v, err := strconv.ParseUint(n, 10, 63)
		if err != nil || n == "" || n[0] == '+' || v > math.MaxInt64/uint64(day) {
			return 0, bad
		}
		days, rest = time.Duration(v)*day, after
	}
	var more time.Duration
	if rest != "" || !hasDays {
		var err error
		if more, err = time.ParseDuration(rest); err != nil || more < 0 || strings.HasPrefix(rest, "+") {
			return 0, bad
		}
	}
	if more > math.MaxInt64-days {
		return 0, bad
	}
	total := days + more
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// String formats d so that ParseDuration reads it back, preferring the
// shortest readable form: "10m" rather than "10m0s", "30d" rather than "720h".
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	if v < 0 && v != math.MinInt64 {
		return "-" + Duration(-v).String()
	}
	if v%time.Second != 0 || v < 0 {
		return v.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := v / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			v -= n * u.unit
		}
	}
	return b.String()
}

// MarshalText writes the String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the ParseDuration syntax.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (Duration) accepts() string { return `a duration such as "10m" or "2h30m"` }
