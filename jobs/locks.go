package jobs

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// ProjectLock is the lock on the Compose project as a whole. Every job that changes the
// project holds it shared; a job that names it (the upgrade) holds it alone, so nothing
// else changes the project while it runs.
const ProjectLock = "project"

// Request is one lock a job asks for.
type Request struct {
	Name   string
	Shared bool
}

// Holder says who holds a lock: what a busy answer tells the admin.
type Holder struct {
	JobID  uint64
	Sender string
	Line   string
	Since  time.Time
}

// BusyError is the answer when a lock is held by another job.
type BusyError struct {
	Lock   string
	Holder Holder
	Now    time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("busy: %s is held by job %d (%s, by %s, started %s, %s ago)",
		e.Lock, e.Holder.JobID, e.Holder.Line, e.Holder.Sender,
		e.Holder.Since.UTC().Format("15:04Z"), Round(e.Now.Sub(e.Holder.Since)))
}

// Safe implements the bot's safe-error interface: the text is meant for the admin.
func (e *BusyError) Safe() string {
	return e.Error() + `; try again when it is done, or send "jobs"`
}

// Locks is the in-memory table of held locks. It needs no persistence: one bot runs per
// state file, and a restart ends every job that held a lock.
type Locks struct {
	mu   sync.Mutex
	held map[string]*held
}

type held struct {
	exclusive bool
	holders   map[uint64]Holder
}

// NewLocks returns an empty table.
func NewLocks() *Locks { return &Locks{held: make(map[string]*held)} }

// Acquire takes every requested lock for h, or none of them: on conflict it returns a
// *BusyError naming the first holder in the way.
func (l *Locks) Acquire(h Holder, reqs []Request, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range reqs {
		cur, ok := l.held[r.Name]
		if !ok || len(cur.holders) == 0 {
			continue
		}
		if cur.exclusive || !r.Shared {
			return &BusyError{Lock: r.Name, Holder: oldest(cur.holders), Now: now}
		}
	}
	for _, r := range reqs {
		cur, ok := l.held[r.Name]
		if !ok {
			cur = &held{holders: make(map[uint64]Holder)}
			l.held[r.Name] = cur
		}
		cur.exclusive = !r.Shared
		cur.holders[h.JobID] = h
	}
	return nil
}

// Release drops every lock job holds.
func (l *Locks) Release(job uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, cur := range l.held {
		delete(cur.holders, job)
		if len(cur.holders) == 0 {
			delete(l.held, name)
		}
	}
}

// Held lists the held locks, "name (job N)" sorted, for `jobs`.
func (l *Locks) Held() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for name, cur := range l.held {
		var ids []string
		for id := range cur.holders {
			ids = append(ids, fmt.Sprint(id))
		}
		sort.Strings(ids)
		out = append(out, fmt.Sprintf("%s (job %s)", name, strings.Join(ids, ", ")))
	}
	sort.Strings(out)
	return out
}

func oldest(hs map[uint64]Holder) Holder {
	var best Holder
	for _, h := range hs {
		if best.JobID == 0 || h.JobID < best.JobID {
			best = h
		}
	}
	return best
}

// Requests turns a command's declared locks into requests: each named lock exclusive, plus
// the project lock shared when the command changes state and does not take it whole.
func Requests(names []string, changes bool) []Request {
	var reqs []Request
	project := false
	for _, n := range names {
		reqs = append(reqs, Request{Name: n})
		project = project || n == ProjectLock
	}
	if changes && !project {
		reqs = append(reqs, Request{Name: ProjectLock, Shared: true})
	}
	return reqs
}

// LockNames lists the names of reqs, for the job record.
func LockNames(reqs []Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if r.Shared {
			out = append(out, r.Name+" (shared)")
		} else {
			out = append(out, r.Name)
		}
	}
	return out
}
