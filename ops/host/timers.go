package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timer is one systemd timer, as `systemctl list-timers --all` lists it, with how the
// last run of the unit it activates went.
type Timer struct {
	Unit      string    // certbot.timer
	Activates string    // certbot.service; "" when it activates nothing
	Next      time.Time // zero when it is not scheduled (inactive, or a one-shot that fired)
	Last      time.Time // when it last fired; zero when never
	// Result is the activated unit's Result: "success", "exit-code", "signal",
	// "timeout", "core-dump"…; "" when unknown.
	Result string
	// ActiveState is the activated unit's: "inactive", "activating" (a oneshot running),
	// "active", "failed"…; "" when unknown.
	ActiveState string
	// ExitStatus is the activated unit's last main process exit status.
	ExitStatus int
}

// Running reports whether the activated unit runs now.
func (t Timer) Running() bool { return t.ActiveState == "activating" || t.ActiveState == "reloading" }

// Failed reports whether the last run of the activated unit failed.
func (t Timer) Failed() bool {
	return t.ActiveState == "failed" || (t.Result != "" && t.Result != "success")
}

// Timers lists every timer of the machine's systemd, loaded but inactive ones included,
// soonest next first, those with no next run last. It runs `systemctl list-timers --all
// --output=json`; a systemctl too old for JSON prints its table, which is read instead.
// Then `systemctl show` tells how the last run of each activated unit went; if that
// fails, the results are left unknown.
func (s *Systemd) Timers(ctx context.Context) ([]Timer, error) {
	if err := s.Available(); err != nil {
		return nil, err
	}
	out, _, err := s.run(ctx, "systemctl", "list-timers", "--all", "--no-legend", "--no-pager", "--output=json")
	if err != nil {
		return nil, err
	}
	timers, err := ParseTimers(out, s.loc())
	if err != nil {
		return nil, err
	}
	var units []string
	for _, t := range timers {
		if t.Activates != "" && !slices.Contains(units, t.Activates) {
			units = append(units, t.Activates)
		}
	}
	if len(units) > 0 {
		args := append([]string{"show", "--no-pager", "--property=Id,ActiveState,Result,ExecMainStatus", "--"}, units...)
		if out, _, err := s.run(ctx, "systemctl", args...); err == nil {
			states := ParseShow(out)
			for i, t := range timers {
				p := states[t.Activates]
				timers[i].Result, timers[i].ActiveState = p["Result"], p["ActiveState"]
				timers[i].ExitStatus, _ = strconv.Atoi(p["ExecMainStatus"])
			}
		} else if ctx.Err() != nil {
			return nil, err
		}
	}
	return timers, nil
}

// ParseTimers reads the output of `systemctl list-timers --all --no-legend
// --output=json` and returns the timers sorted by next run, those without one last.
//
// The JSON is an array of objects with next, left, last and passed in microseconds
// since the epoch (left and passed repeat next and last: the table formats them as
// "5h left" and "6h ago"), null or 0 when unset, unit, and activates (a string, null,
// or an array of strings). Without JSON support systemctl prints its table; see
// parseTimersTable.
func ParseTimers(out []byte, loc *time.Location) ([]Timer, error) {
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return nil, nil
	}
	var timers []Timer
	if trimmed[0] == '[' {
		var rows []struct {
			Next      *uint64         `json:"next"`
			Last      *uint64         `json:"last"`
			Unit      string          `json:"unit"`
			Activates json.RawMessage `json:"activates"`
		}
		// A Decoder reads the array and ignores whatever systemctl may print after it.
		if err := json.NewDecoder(bytes.NewReader(trimmed)).Decode(&rows); err != nil {
			return nil, fmt.Errorf("systemctl list-timers: unexpected JSON: %w", err)
		}
		for _, r := range rows {
			timers = append(timers, Timer{Unit: r.Unit, Activates: activates(r.Activates), Next: usec(r.Next, loc), Last: usec(r.Last, loc)})
		}
	} else {
		timers = parseTimersTable(string(trimmed), loc)
	}
	slices.SortStableFunc(timers, func(a, b Timer) int {
		switch {
		case a.Next.IsZero() != b.Next.IsZero():
			if a.Next.IsZero() {
				return 1
			}
			return -1
		case !a.Next.Equal(b.Next):
			return a.Next.Compare(b.Next)
		}
		return strings.Compare(a.Unit, b.Unit)
	})
	return timers, nil
}

// usec is a systemd timestamp: microseconds since the epoch, with 0 and infinity
// (printed as null) meaning unset.
func usec(v *uint64, loc *time.Location) time.Time {
	if v == nil || *v == 0 || *v >= math.MaxInt64 {
		return time.Time{}
	}
	return time.UnixMicro(int64(*v)).In(loc)
}

// activates reads the activates column: a unit, null, or a list of units (a timer
// activates exactly one today; the first is kept).
func activates(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many[0]
	}
	return ""
}

// tableTime is a timestamp in systemctl's table: "Wed 2026-11-25 03:12:00 UTC".
var tableTime = regexp.MustCompile(`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (\S+)`)

// parseTimersTable reads the table of a systemctl without JSON output (before systemd
// 250), one timer per line with no header or legend:
//
//	Wed 2026-11-25 03:12:00 UTC 5h 31min left Tue 2026-11-24 15:12:04 UTC 6h ago certbot.timer certbot.service
//	n/a                         n/a           Mon 2026-11-09 02:00:01 UTC 2 weeks ago pg-dump.timer pg-dump.service
//
// The last two words are the timer and the unit it activates; a timestamp at the start
// of the line is the next run, one after it the last. A zone other than UTC is read in
// loc, the zone systemctl printed in since it runs with the bot's environment.
func parseTimersTable(out string, loc *time.Location) []Timer {
	var timers []Timer
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasSuffix(f[len(f)-2], ".timer") {
			continue
		}
		t := Timer{Unit: f[len(f)-2], Activates: f[len(f)-1]}
		if t.Activates == "n/a" || t.Activates == "-" {
			t.Activates = ""
		}
		for _, m := range tableTime.FindAllStringSubmatchIndex(line, 2) {
			at, err := time.ParseInLocation("2006-01-02 15:04:05 MST", line[m[2]:m[3]]+" "+line[m[4]:m[5]], loc)
			if err != nil {
				continue
			}
			if m[0] == 0 {
				t.Next = at
			} else {
				t.Last = at
			}
		}
		timers = append(timers, t)
	}
	return timers
}

// ParseShow reads `systemctl show --property=… UNIT…`: a block of KEY=value lines per
// unit, blocks separated by a blank line, keyed by their Id.
func ParseShow(out []byte) map[string]map[string]string {
	units := map[string]map[string]string{}
	for _, block := range strings.Split(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n\n") {
		props := map[string]string{}
		for _, line := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				props[k] = v
			}
		}
		if id := props["Id"]; id != "" {
			units[id] = props
		}
	}
	return units
}
