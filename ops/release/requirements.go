package release

import (
	"fmt"
	"slices"
	"strings"
)

// Requirements is what an upgrade asks of the install, merged from the notes of every
// release from the running one (exclusive) to the target (inclusive), deployed or
// skipped.
type Requirements struct {
	// Minimum versions of the services the compose file runs next to Mastodon; Ruby,
	// Node, libvips and FFmpeg ship inside the images and are not checked.
	PostgreSQL, Redis, Elasticsearch Version
	// Unsupported version ranges by dependency (4.3.0: PostgreSQL 14.0 to 14.3).
	Unsupported map[string][]Range
	Env         []string // required environment variables, sorted
	Tootctl     []string // tootctl steps to run after the upgrade, in release order
	Unknown     []string // overview markers no rule knows: a human must read the notes

	Migrations, LongMigrations, AssetsRecompile, StreamingRestart, ComposeChanges bool

	// Source names, for each item above (a dependency name such as "PostgreSQL", an
	// environment variable, a tootctl step, an unknown marker), the first release
	// whose notes ask for it, so that messages can say "which v4.5.0 requires".
	Source map[string]Version
}

// RequirementsOf merges the notes of every release the hops deploy or skip. A release
// whose notes have no dependency list inherits the list of the release its "have not
// changed since vX" names, when vX is in the range too; when it is not, vX is not newer
// than the running version, whose requirements are met already.
func RequirementsOf(hops []Hop) Requirements {
	req := Requirements{Source: map[string]Version{}}
	source := func(key string, v Version) {
		if _, ok := req.Source[key]; !ok {
			req.Source[key] = v
		}
	}
	rs, ns := Hops(hops).releases()
	for i, n := range ns {
		v := rs[i].Version
		for name, p := range map[string]*Version{"PostgreSQL": &req.PostgreSQL, "Redis": &req.Redis, "Elasticsearch": &req.Elasticsearch} {
			if min, ok := n.Deps[name]; ok && p.Less(min) {
				*p = min
				req.Source[name] = v // the first release that raised it to this level
			}
		}
		for name, ranges := range n.Unsupported {
			for _, r := range ranges {
				if req.Unsupported == nil {
					req.Unsupported = map[string][]Range{}
				}
				if !slices.Contains(req.Unsupported[name], r) {
					req.Unsupported[name] = append(req.Unsupported[name], r)
					source(name+" "+r.String(), v)
				}
			}
		}
		for _, e := range n.Env {
			if !slices.Contains(req.Env, e) {
				req.Env = append(req.Env, e)
				source(e, v)
			}
		}
		for _, t := range n.Tootctl {
			if !slices.Contains(req.Tootctl, t) {
				req.Tootctl = append(req.Tootctl, t)
				source(t, v)
			}
		}
		for _, u := range n.Unknown {
			if !slices.Contains(req.Unknown, u) {
				req.Unknown = append(req.Unknown, u)
				source(u, v)
			}
		}
		req.Migrations = req.Migrations || n.Migrations
		req.LongMigrations = req.LongMigrations || n.LongMigrations
		req.AssetsRecompile = req.AssetsRecompile || n.AssetsRecompile
		req.StreamingRestart = req.StreamingRestart || n.StreamingRestart
		req.ComposeChanges = req.ComposeChanges || n.ComposeChanges
	}
	slices.Sort(req.Env)
	return req
}

// depHints say what to do about a too-old service; the bot changes Mastodon's image
// tags only, never the database's.
var depHints = map[string]string{
	"PostgreSQL":    "upgrade PostgreSQL first (a dump and restore; the bot does not do this)",
	"Redis":         "upgrade Redis first (a newer redis image; the bot does not do this)",
	"Elasticsearch": "upgrade Elasticsearch first and rebuild the indices (the bot does not do this)",
}

// Check returns one line for each problem that blocks the upgrade, written for the
// admin: a service older than required or in an unsupported range, a required
// environment variable that is missing, and markers nobody taught the bot. running
// holds service versions ("PostgreSQL": 15.4, "Redis": 7.2.4; "Elasticsearch" only
// where it runs); env the names present in .env.production. An empty result means go.
// A PostgreSQL or Redis version that is not given blocks: the bot fails closed.
func (r Requirements) Check(running map[string]Version, env map[string]bool) []string {
	var out []string
	got := map[string]Version{}
	for k, v := range running {
		got[depName(k)] = v
	}
	for _, d := range []struct {
		name     string
		min      Version
		optional bool
	}{{"PostgreSQL", r.PostgreSQL, false}, {"Redis", r.Redis, false}, {"Elasticsearch", r.Elasticsearch, true}} {
		v, ok := got[d.name]
		if !ok {
			if !d.optional && !d.min.IsZero() {
				out = append(out, fmt.Sprintf("the running %s version is unknown, and %s requires %s or newer: find it out before upgrading",
					d.name, r.Source[d.name], d.min.Short()))
			}
			continue
		}
		if !d.min.IsZero() && v.Core().Less(d.min) {
			out = append(out, fmt.Sprintf("%s %s is older than %s, which %s requires: %s",
				d.name, v.Short(), d.min.Short(), r.Source[d.name], depHints[d.name]))
		}
		for _, rg := range r.Unsupported[d.name] {
			if rg.Contains(v) {
				out = append(out, fmt.Sprintf("%s %s is not supported by %s (%s %s are not): upgrade %s to a later %d.x release first (the bot does not do this)",
					d.name, v.Short(), r.Source[d.name+" "+rg.String()], d.name, rg, d.name, rg.To.Major))
			}
		}
	}
	for _, e := range r.Env {
		if env[e] {
			continue
		}
		hint := fmt.Sprintf("add it to .env.production as the %s release notes describe", r.Source[e])
		if strings.HasPrefix(e, "ACTIVE_RECORD_ENCRYPTION_") {
			// Generated once: new values would make the encrypted data unreadable.
			hint = "run `docker compose run --rm web bin/rails db:encryption:init` once, add the three values it prints to .env.production, back that file up, and never change them"
		}
		out = append(out, fmt.Sprintf("%s is not set, which %s requires: %s", e, r.Source[e], hint))
	}
	for _, u := range r.Unknown {
		out = append(out, fmt.Sprintf("%s's notes contain an upgrade marker the bot does not know: %q; read them and upgrade by hand", r.Source[u], u))
	}
	return out
}
