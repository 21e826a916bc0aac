package release

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
)

// Notes is what a release body asks of an operator who runs Mastodon with Docker.
// ParseNotes fills it; it never fails, because a body it cannot read should stop an
// upgrade (through Unknown and the planner) rather than the bot.
type Notes struct {
	// Markers are the lines of the "Upgrade overview", without their ℹ️/⚠️ prefix.
	Markers []string `json:"markers,omitempty"`
	// Unknown are the Markers this package has no rule for: the upgrade must stop and
	// a human must read the notes (fail closed).
	Unknown []string `json:"unknown,omitempty"`

	Migrations       bool `json:"migrations,omitempty"`
	LongMigrations   bool `json:"long_migrations,omitempty"`
	StreamingRestart bool `json:"streaming_restart,omitempty"`
	AssetsRecompile  bool `json:"assets_recompile,omitempty"`
	// ComposeChanges is set when the notes mention the compose file or the streaming
	// image split (4.3.0): the bot's image-tag edit alone would not be enough.
	ComposeChanges bool `json:"compose_changes,omitempty"`

	// Deps are the minimum versions of external dependencies ("PostgreSQL", "Redis",
	// "Elasticsearch", "Ruby", "Node", ...), from "### Dependencies" and from markers
	// such as "The minimum supported version for Ruby has been bumped to 3.3".
	Deps map[string]Version `json:"deps,omitempty"`
	// DepsSince is the release named by "External dependencies have not changed since
	// vX": a release whose notes lack the list inherits vX's.
	DepsSince Version `json:"deps_since,omitzero"`
	// Unsupported are versions ranges a release refuses despite the minimum
	// (4.3.0: PostgreSQL 14.0 to 14.3, which have a data-corruption bug).
	Unsupported map[string][]Range `json:"unsupported,omitempty"`

	// Tootctl are the tootctl invocations the Docker steps ask for, from "tootctl"
	// on ("tootctl search deploy --only accounts").
	Tootctl []string `json:"tootctl,omitempty"`
	// Env are environment variables the release requires to be set.
	Env []string `json:"env,omitempty"`
	// Docker are the steps of "When using Docker", or of "Update steps" when the
	// release has a single list (image-only rebuilds), one string per item.
	Docker []string `json:"docker,omitempty"`

	// Hotfix is the release a "please update directly to it" TIP names ("v4.6.1").
	Hotfix string `json:"hotfix,omitempty"`
	// Security is set for releases that fix security issues; Urgent when the notes
	// say updating is critical or the release is an important security release.
	Security bool `json:"security,omitempty"`
	Urgent   bool `json:"urgent,omitempty"`
	// MustRead are releases whose notes these notes say are very important to read
	// ("v4.5.0"); the planner refuses if they are missing.
	MustRead []string `json:"must_read,omitempty"`
}

// Range is an inclusive range of versions.
type Range struct {
	From Version `json:"from"`
	To   Version `json:"to"`
}

// Contains reports whether v is within r (comparing cores, as dependencies report
// versions like "14.2" with no prerelease).
func (r Range) Contains(v Version) bool {
	v = v.Core()
	return r.From.Compare(v) <= 0 && v.Compare(r.To) <= 0
}

// String is "14.0 to 14.3", as release notes write ranges.
func (r Range) String() string { return twoParts(r.From) + " to " + twoParts(r.To) }

func twoParts(v Version) string {
	if v.Patch != 0 {
		return v.Short()
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// The vocabulary of overview markers. Every marker seen in 4.x notes is here, with what
// it means for a Docker install; anything else ends up in Notes.Unknown. Patterns match
// the normalised, lower-cased marker text.
var vocabulary = []struct {
	re    *regexp.Regexp
	apply func(n *Notes, m []string)
}{
	{regexp.MustCompile(`^requires (?:an? )?assets? recompilation$`),
		func(n *Notes, _ []string) { n.AssetsRecompile = true }},
	// 3.5 and 4.2 said "streaming API restart", later releases "streaming server".
	{regexp.MustCompile(`^requires (?:a )?streaming (?:server|api) restart$`),
		func(n *Notes, _ []string) { n.StreamingRestart = true }},
	// 4.7.0: "Requires unusually long database migrations" means plan a downtime.
	{regexp.MustCompile(`^requires (unusually long |long[- ]running )?database migrations$`),
		func(n *Notes, m []string) { n.Migrations = true; n.LongMigrations = n.LongMigrations || m[1] != "" }},
	// Ruby ships inside the image: nothing to do for Docker.
	{regexp.MustCompile(`^(?:the )?(?:default|recommended) ruby version has been updated$`), nil},
	{regexp.MustCompile(`^starting from this release, mastodon will periodically check for updates$`), nil},
	// A bumped minimum matters when it is PostgreSQL, Redis or Elasticsearch (the image
	// ships the rest); record it like a Dependencies line so the planner can check it.
	{regexp.MustCompile(`^the minimum supported version (?:for|of) (.+?) has been bumped (?:from \S+ )?to v?([0-9][0-9.x]*)$`),
		func(n *Notes, m []string) {
			if v, ok := parseLoose(m[2]); ok {
				n.raiseDep(depName(m[1]), v)
			}
		}},
	// 4.6.0: the image ships libvips; MASTODON_USE_LIBVIPS=false is ignored.
	{regexp.MustCompile(`^imagemagick support has been dropped, libvips is required$`), nil},
	// Themes are compiled into the image; official images have no custom themes.
	{regexp.MustCompile(`^custom themes need to be updated$`), nil},
	// 4.3.0: web and sidekiq refuse to boot without the three encryption secrets.
	{regexp.MustCompile(`^active ?record encryption (?:secrets|keys) (?:need|needs|must|have) (?:to )?be (?:generated|set|configured)`),
		func(n *Notes, _ []string) { n.Env = append(n.Env, encryptionEnv...) }},
	// 4.3.0: PostgreSQL 14.0 to 14.3 have a data-corruption bug.
	{regexp.MustCompile(`^versions? ([0-9.]+) (?:to|-|–|—) ([0-9.]+) of (.+?) (?:are|is) not supported$`),
		func(n *Notes, m []string) { n.addUnsupported(depName(m[3]), m[1], m[2]) }},
	// 4.3.0: streaming moved to its own image (ghcr.io/mastodon/mastodon-streaming).
	{regexp.MustCompile(`^the docker image has been split in(?:to)? two(?: separate)? images`),
		func(n *Notes, _ []string) { n.ComposeChanges = true }},
	// 4.3.0: the planner steps through every minor series anyway.
	{regexp.MustCompile(`^rolling updates from versions (?:earlier|older) than \S+ are not supported$`), nil},
}

// encryptionEnv are the Active Record encryption secrets `bin/rails db:encryption:init`
// prints; 4.3.0 and later do not boot without them.
var encryptionEnv = []string{
	"ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
	"ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
	"ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
}

var (
	// Markers start with an emoji or its GitHub shortcode. U+FE0F (the emoji variation
	// selector) is optional: copy-paste and some mirrors drop it.
	markerPrefix = regexp.MustCompile(`^(?:(?:ℹ|⚠|❗|❕|🚨|‼)\x{FE0F}?|:(?:information_source|warning|exclamation|grey_exclamation|rotating_light|bangbang):)\s*`)
	// "When using Docker", "Docker", "With docker-compose", but not a heading that only
	// mentions Docker ("Streaming server Docker image").
	dockerHeading = regexp.MustCompile(`(?:using|with|for|via|in) docker|^docker(?:[ -]compose)?(?: installs?| installations?| deployments?| users)?$`)
	listItem      = regexp.MustCompile(`^ {0,3}(?:\d{1,3}[.)]|[-*+])\s+(.*)$`)
	bullet        = regexp.MustCompile(`^\s*(?:[-*+]|\d{1,3}[.)])\s+`)
	mdHeading     = regexp.MustCompile(`^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$`)
	htmlHeading   = regexp.MustCompile(`(?i)^\s*<h([1-6])[^>]*>(.*?)</h[1-6]>\s*$`)
	htmlTag       = regexp.MustCompile(`<[^>]*>`)
	htmlBreak     = regexp.MustCompile(`(?i)<br\s*/?>`)
	mdLink        = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	spaces        = regexp.MustCompile(`\s+`)

	depsSince = regexp.MustCompile(`(?i)(?:have not|haven't|has not|did not) changed since v?(\d+\.\d+\.\d+)|compared to v?(\d+\.\d+\.\d+), the compatible`)
	depLine   = regexp.MustCompile(`^([^:]{1,80}):\s*(.+)$`)
	depRange  = regexp.MustCompile(`(?i)(\d+(?:\.\d+)*)\s*(?:to|-|–|—)\s*(\d+(?:\.\d+)*)[^)]*?(?:are|is) not supported`)

	tootctl     = regexp.MustCompile("tootctl\\s+[a-z][a-z_:-]*(?:[ \t]+[^ \t`'\"&;|]+)*")
	migrateStep = regexp.MustCompile(`SKIP_POST_DEPLOYMENT_MIGRATIONS|db:migrate`)
	precompile  = regexp.MustCompile(`assets:precompile`)
	// composeRe, envRequired, envNotRequired, hotfixVer, mustReadRe, securityRe and
	// urgentRe are lower case and run on lower-cased text: Go's case-insensitive
	// matching is several times slower, and Path parses every release's notes.
	composeRe   = regexp.MustCompile(`mastodon-streaming|docker-compose\.ya?ml|\bcompose\.ya?ml|node \./streaming`)
	envName     = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)
	envRequired = regexp.MustCompile(`\b(?:required|mandatory|must (?:now )?(?:be )?(?:set|defined|configured)|needs? to be (?:set|defined|configured))\b`)
	// "OTP_SECRET is no longer required" must not make OTP_SECRET required.
	envNotRequired = regexp.MustCompile(`no longer (?:required|needed|used)|not (?:required|needed)|no (?:action|changes?) (?:is |are )?(?:required|needed)|optional|deprecated|removed|ignored`)
	arEnv          = regexp.MustCompile(`\bACTIVE_RECORD_ENCRYPTION_[A-Z_]+\b`)

	hotfixVer  = regexp.MustCompile(`update directly to (v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]*[0-9A-Za-z])?)`)
	tagLink    = regexp.MustCompile(`releases/tag/(v?\d+\.\d+\.\d+[0-9A-Za-z.+-]*)`)
	mustReadRe = regexp.MustCompile(`\bread the (?:upgrade |release )?notes (?:for|of) v?(\d+\.\d+\.\d+)|\bread the v?(\d+\.\d+\.\d+) (?:release|upgrade) notes`)

	securityRe = regexp.MustCompile(`\bsecurity (?:release|fix(?:es)?|update)\b|\bcve-\d{4}-\d{4,}|\bghsa-[a-z0-9]{4}-`)
	urgentRe   = regexp.MustCompile(`critical to update|critical severity|critical security|(?:important|critical|urgent) security release|update (?:as soon as possible|immediately)`)
)

// hasAny is a cheap filter before a regular expression: most lines match none.
func hasAny(s string, needles ...string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// envIgnored are variables that notes mention in steps but that an install does not
// have to set: they are passed to a single command, or are build settings.
var envIgnored = map[string]bool{
	"SKIP_POST_DEPLOYMENT_MIGRATIONS":     true,
	"MIGRATION_IGNORE_INVALID_OTP_SECRET": true,
	"RAILS_ENV":                           true,
	"NODE_ENV":                            true,
}

type sectionKind int

const (
	secOther sectionKind = iota
	secPreamble
	secOverview
	secChangelog
	secUpgradeNotes
	secDependencies
	secUpdateSteps
	secNonDocker
	secDocker
)

type line struct {
	raw  string // the line with HTML and quote markers, for links
	text string // cleaned: HTML stripped, entities decoded, trailing "\" removed
	code bool   // inside a fenced code block
}

type section struct {
	kind     sectionKind
	security bool // a changelog "Security" subsection
	lines    []line
}

// classify maps a heading to a section. Headings are matched by their text and never
// by their level: mirrors demote "##" to "###" and some bodies use HTML headings.
func classify(title string) (sectionKind, bool) {
	t := strings.ToLower(strings.Trim(cleanText(title), " :*_"))
	switch {
	case strings.Contains(t, "upgrade overview"):
		return secOverview, false
	case strings.HasPrefix(t, "changelog"):
		return secChangelog, false
	case strings.Contains(t, "upgrade notes"):
		return secUpgradeNotes, false
	case strings.Contains(t, "dependencies"):
		return secDependencies, false
	case strings.Contains(t, "update steps") || strings.Contains(t, "upgrade steps") || strings.Contains(t, "update instructions"):
		return secUpdateSteps, false
	case strings.Contains(t, "non-docker") || strings.Contains(t, "non docker") || strings.Contains(t, "without docker"):
		return secNonDocker, false
	case dockerHeading.MatchString(t):
		return secDocker, false
	case t == "security":
		return secChangelog, true
	case t == "added" || t == "changed" || t == "removed" || t == "fixed" || t == "fixes" || t == "deprecated":
		return secChangelog, false
	}
	return secOther, false
}

// split normalises the body and cuts it into sections at every heading.
func split(body string) []section {
	// CRLF from the API and lone CR from old editors both become LF.
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	// Some mirrors join overview markers with <br> instead of "\" line ends.
	body = htmlBreak.ReplaceAllString(body, "\n")

	secs := []section{{kind: secPreamble}}
	// Headings inside the changelog we do not know ("### Performance") still belong to
	// the changelog, whose sentences describe code, not what the operator must do.
	inChangelog := false
	fence := ""
	quote := false // inside a blockquote, including its lazy continuation lines
	for _, raw := range strings.Split(body, "\n") {
		cur := &secs[len(secs)-1]
		trimmed := strings.TrimSpace(raw)
		if fence != "" {
			text := trimmed
			if strings.HasPrefix(trimmed, fence) {
				fence, text = "", ""
			}
			cur.lines = append(cur.lines, line{raw: raw, text: text, code: true})
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			cur.lines = append(cur.lines, line{raw: raw, text: "", code: true})
			continue
		}
		if title, ok := heading(raw); ok {
			kind, sec := classify(title)
			switch {
			case kind == secChangelog:
				inChangelog = true
			case kind == secOther && inChangelog:
				kind = secChangelog
			case kind != secOther:
				inChangelog = false
			}
			secs = append(secs, section{kind: kind, security: sec})
			quote = false
			continue
		}
		if trimmed == "" {
			quote = false
		}
		text := raw
		if strings.HasPrefix(trimmed, ">") {
			quote = true
			text = strings.TrimLeft(trimmed, "> ")
			if strings.HasPrefix(text, "[!") { // GitHub alert label, "> [!TIP]"
				text = ""
			}
		}
		l := line{raw: raw, text: cleanText(text)}
		if quote {
			l.raw = "> " + l.raw // keep the quote visible to marker detection
		}
		cur.lines = append(cur.lines, l)
	}
	return secs
}

func heading(raw string) (string, bool) {
	if m := mdHeading.FindStringSubmatch(raw); m != nil {
		return m[2], true
	}
	if m := htmlHeading.FindStringSubmatch(raw); m != nil {
		return m[2], true
	}
	return "", false
}

// cleanText strips HTML tags and entities, Markdown links and emphasis markers, the
// trailing "\" of a Markdown hard break and surrounding space.
func cleanText(s string) string {
	if strings.Contains(s, "<") {
		s = htmlTag.ReplaceAllString(s, "")
	}
	s = html.UnescapeString(s)
	if strings.Contains(s, "](") {
		s = mdLink.ReplaceAllString(s, "$1")
	}
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, `\`) {
		s = strings.TrimSpace(strings.TrimSuffix(s, `\`))
	}
	return s
}

// normaliseMarker turns an overview line into marker text: no bullet, emoji,
// shortcode, emphasis, trailing punctuation or doubled space.
func normaliseMarker(s string) string {
	s = strings.NewReplacer("**", "", "__", "", "`", "").Replace(s)
	s = bullet.ReplaceAllString(strings.TrimSpace(s), "")
	for {
		t := strings.TrimSpace(markerPrefix.ReplaceAllString(s, ""))
		if t == s {
			break
		}
		s = t
	}
	s = spaces.ReplaceAllString(s, " ")
	return strings.TrimSpace(strings.TrimRight(s, " .!"))
}

// isMarkerLine reports whether a line starts with a marker emoji or shortcode.
func isMarkerLine(s string) bool {
	s = strings.NewReplacer("**", "", "__", "").Replace(s)
	return markerPrefix.MatchString(strings.TrimSpace(bullet.ReplaceAllString(s, "")))
}

// overviewProse are the fixed sentences around the marker list; every other line of
// the overview is a marker, so that a reworded or new line is "unknown", not ignored.
var overviewProse = []string{
	"this release contains upgrade notes that deviate from the norm",
	"for more information, view the complete release notes",
	"for more information, see the complete release notes",
}

// ParseNotes reads a release body (GitHub-flavoured Markdown, possibly wrapped by a
// mirror in HTML, with CRLF line ends and demoted headings).
func ParseNotes(body string) Notes {
	var n Notes
	secs := split(body)

	var markers []string
	var docker, single []string
	hasDocker, hasNonDocker := false, false
	var allSteps []string // Docker and non-Docker, for assets:precompile
	for _, s := range secs {
		switch s.kind {
		case secOverview:
			for _, l := range s.lines {
				// Quoted lines are GitHub alerts (the hotfix TIP), not markers.
				if l.code || l.text == "" || strings.HasPrefix(l.raw, "> ") || isProse(l.text) {
					continue
				}
				markers = append(markers, l.text)
			}
		case secChangelog:
			// A "Security" changelog heading with entries; an empty one is not a fix.
			if s.security && len(items(s.lines)) > 0 {
				n.Security = true
			}
		default:
			// Markers outside an overview (a mirror that dropped its heading, or
			// one with bold text for headings) are still markers.
			for _, l := range s.lines {
				if !l.code && isMarkerLine(l.text) {
					markers = append(markers, l.text)
				}
			}
		}
		switch s.kind {
		case secDependencies:
			n.parseDeps(s.lines)
		case secDocker:
			hasDocker = true
			docker = append(docker, items(s.lines)...)
		case secNonDocker:
			hasNonDocker = true
			allSteps = append(allSteps, items(s.lines)...)
		case secUpdateSteps:
			single = append(single, items(s.lines)...)
		}
	}
	// Image-only releases (4.6.2, 4.7.2) have one list under "Update steps" that
	// applies to everyone; otherwise only the Docker list concerns us.
	if !hasDocker && !hasNonDocker {
		docker = single
	}
	n.Docker = docker
	allSteps = append(allSteps, docker...)

	for _, m := range markers {
		text := normaliseMarker(m)
		if text == "" || slices.Contains(n.Markers, text) {
			continue
		}
		n.Markers = append(n.Markers, text)
		n.applyMarker(text)
	}

	// A db:migrate step means migrations even without the marker (older notes had
	// none). tootctl is taken from the Docker steps only: the changelog names commands
	// that were fixed ("Fix `tootctl upgrade storage-schema`"), not ones to run, and the
	// non-Docker list repeats the Docker one with RAILS_ENV prefixes.
	for _, step := range docker {
		if migrateStep.MatchString(step) {
			n.Migrations = true
		}
		for _, t := range tootctl.FindAllString(step, -1) {
			t = strings.TrimRight(strings.Join(strings.Fields(t), " "), ".,:;)")
			if !slices.Contains(n.Tootctl, t) {
				n.Tootctl = append(n.Tootctl, t)
			}
		}
	}
	// Precompiling in the non-Docker steps means the assets changed, which matters to
	// an nginx serving files extracted from the image, marker or not.
	for _, step := range allSteps {
		if precompile.MatchString(step) {
			n.AssetsRecompile = true
		}
	}

	n.scanProse(secs)
	slices.Sort(n.Env)
	n.Env = slices.Compact(n.Env)
	return n
}

func isProse(s string) bool {
	t := strings.ToLower(s)
	for _, p := range overviewProse {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

func (n *Notes) applyMarker(text string) {
	lower := strings.ToLower(text)
	for _, v := range vocabulary {
		if m := v.re.FindStringSubmatch(lower); m != nil {
			if v.apply != nil {
				v.apply(n, m)
			}
			return
		}
	}
	n.Unknown = append(n.Unknown, text)
}

// scanProse reads what is written as sentences rather than lists: compose and
// environment changes, the hotfix TIP, security wording and must-read releases.
func (n *Notes) scanProse(secs []section) {
	for _, s := range secs {
		upgrade := s.kind != secChangelog
		var para []string
		flush := func() {
			if len(para) > 0 {
				n.paragraph(strings.Join(para, " "), upgrade)
			}
			para = para[:0]
		}
		for _, l := range s.lines {
			lower := strings.ToLower(l.raw)
			if hasAny(lower, "compose", "streaming") && composeRe.MatchString(lower) {
				n.ComposeChanges = true
			}
			if hasAny(lower, "security", "cve-", "ghsa-") && securityRe.MatchString(lower) {
				n.Security = true
			}
			if strings.Contains(l.raw, "db:encryption:init") {
				n.Env = append(n.Env, encryptionEnv...)
			}
			if l.code || strings.TrimSpace(l.raw) == "" || strings.TrimSpace(l.raw) == ">" {
				flush()
				continue
			}
			para = append(para, strings.TrimSpace(l.raw))
		}
		flush()
	}
}

// paragraph handles one paragraph; upgrade is false in the changelog, where sentences
// describe code changes rather than what the operator has to do.
func (n *Notes) paragraph(raw string, upgrade bool) {
	text := cleanText(strings.ReplaceAll(raw, "> ", " "))
	lower := strings.ToLower(text)
	if hasAny(lower, "critical", "security", "update") && urgentRe.MatchString(lower) {
		n.Urgent, n.Security = true, true
	}
	if !upgrade {
		return
	}
	if n.Hotfix == "" && strings.Contains(lower, "update directly to") {
		var cand string
		if m := hotfixVer.FindStringSubmatch(lower); m != nil {
			cand = m[1]
		} else if m := tagLink.FindStringSubmatch(raw); m != nil {
			cand = m[1]
		}
		if v, err := ParseVersion(cand); err == nil {
			n.Hotfix = v.String()
		}
	}
	for _, m := range mustReadRe.FindAllStringSubmatch(lower, strings.Count(lower, "read the")) {
		v, err := ParseVersion(m[1] + m[2])
		if err == nil && !slices.Contains(n.MustRead, v.String()) {
			n.MustRead = append(n.MustRead, v.String())
		}
	}
	for _, name := range arEnv.FindAllString(text, -1) {
		n.Env = append(n.Env, name)
	}
	if hasAny(lower, "require", "mandatory", "must", "need") && envRequired.MatchString(lower) && !envNotRequired.MatchString(lower) {
		for _, name := range envName.FindAllString(text, -1) {
			if !envIgnored[name] && !strings.HasPrefix(name, "BUNDLE_") {
				n.Env = append(n.Env, name)
			}
		}
	}
}

func (n *Notes) parseDeps(lines []line) {
	for _, l := range lines {
		if l.code {
			continue
		}
		if m := depsSince.FindStringSubmatch(l.text); m != nil {
			if v, err := ParseVersion(m[1] + m[2]); err == nil {
				n.DepsSince = v
			}
			continue
		}
		if !bullet.MatchString(l.text) {
			continue
		}
		m := depLine.FindStringSubmatch(bullet.ReplaceAllString(l.text, ""))
		if m == nil {
			continue
		}
		name := depName(m[1])
		if v, ok := parseLoose(m[2]); ok {
			n.raiseDep(name, v)
		}
		for _, r := range depRange.FindAllStringSubmatch(m[2], -1) {
			n.addUnsupported(name, r[1], r[2])
		}
	}
}

func (n *Notes) raiseDep(name string, v Version) {
	if n.Deps == nil {
		n.Deps = map[string]Version{}
	}
	if old, ok := n.Deps[name]; !ok || old.Less(v) {
		n.Deps[name] = v
	}
}

func (n *Notes) addUnsupported(name, from, to string) {
	a, okA := parseLoose(from)
	b, okB := parseLoose(to)
	if !okA || !okB {
		return
	}
	r := Range{From: a, To: b}
	if n.Unsupported == nil {
		n.Unsupported = map[string][]Range{}
	}
	if !slices.Contains(n.Unsupported[name], r) {
		n.Unsupported[name] = append(n.Unsupported[name], r)
	}
}

// depName gives each dependency one spelling, whatever the notes call it:
// "Elasticsearch (recommended, for full-text search)" is "Elasticsearch", "Node.JS"
// is "Node" and "FFMpeg" is "FFmpeg".
func depName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '('); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	l := strings.ToLower(s)
	for _, d := range []struct{ prefix, name string }{
		{"postgres", "PostgreSQL"}, {"redis", "Redis"}, {"ruby", "Ruby"}, {"node", "Node"},
		{"elasticsearch", "Elasticsearch"}, {"opensearch", "Elasticsearch"},
		{"libretranslate", "LibreTranslate"}, {"libvips", "libvips"},
		{"imagemagick", "ImageMagick"}, {"ffmpeg", "FFmpeg"},
	} {
		if strings.HasPrefix(l, d.prefix) {
			return d.name
		}
	}
	return s
}

// items returns the top-level list items of a section, one string per item with its
// continuation lines (wrapped text, indented sub-items, code blocks) joined.
func items(lines []line) []string {
	var out []string
	var cur []string
	blank := false
	done := func() {
		if len(cur) > 0 {
			s := strings.Join(cur, " ")
			s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
			if s != "" {
				out = append(out, s)
			}
		}
		cur = nil
	}
	for _, l := range lines {
		if l.code {
			if cur != nil && l.text != "" {
				cur = append(cur, "`"+l.text+"`") // a code block under an item is a command
			}
			continue
		}
		if m := listItem.FindStringSubmatch(l.text); m != nil && !strings.HasPrefix(l.raw, " ") && !strings.HasPrefix(l.raw, "\t") {
			done()
			cur = []string{cleanText(m[1])}
			blank = false
			continue
		}
		switch {
		case cur == nil:
		case l.text == "":
			blank = true
		case strings.HasPrefix(l.raw, " ") || strings.HasPrefix(l.raw, "\t") || !blank:
			cur = append(cur, bullet.ReplaceAllString(l.text, ""))
		default:
			done()
			blank = false
		}
	}
	done()
	return out
}
