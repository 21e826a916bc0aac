package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with the config.
type Problem struct {
	Key string // full TOML key such as "backup.s3.bucket"; "" for the file as a whole
	Msg string // what is wrong and what is accepted
}

func (p Problem) String() string {
	if p.Key == "" {
		return p.Msg
	}
	return p.Key + ": " + p.Msg
}

// Problems is every problem found, so an admin fixes the file in one pass.
type Problems []Problem

// Error is one "key: msg" line per problem.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns ps as an error, or a nil interface when there are none.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Validate checks the values in c and returns Problems sorted by key, or
// nil. Load and Parse call it; call it again after changing a Config by hand.
func (c *Config) Validate() error {
	ps := c.problems()
	slices.SortStableFunc(ps, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	return ps.err()
}

// RequireMastodonToken reports what is missing to connect to Mastodon. The
// token is not required by Validate because the console and offline checks
// run without it.
func (c *Config) RequireMastodonToken() error {
	var ps Problems
	switch {
	case c.Mastodon == nil:
		ps.add("mastodon", `required to connect to Mastodon: add a [mastodon] section with server = "https://…" and the bot account's access token`)
	case !c.Mastodon.AccessToken.IsSet():
		ps.add("mastodon.access_token", "required to connect to Mastodon: set access_token, access_token_file (a file holding the token) or the TOOTOPS_MASTODON_ACCESS_TOKEN environment variable to the bot account's token (Preferences > Development > New application)")
	}
	return ps.err()
}

// problems runs every check, unsorted.
func (c *Config) problems() Problems {
	var ps Problems
	if m := c.Mastodon; m != nil {
		checkURL(&ps, "mastodon.server", m.Server, "https://social.example.coop", true)
		positive(&ps, "mastodon.stale_after", m.StaleAfter)
	}
	checkAccounts(&ps, "admins.accounts", c.Admins.Accounts)
	if cp := c.Compose; cp != nil {
		switch {
		case cp.Project == "":
			ps.add("compose.project", `required: the Compose project name such as "mastodon" (docker compose ls shows it)`)
		case !composeProject.MatchString(cp.Project):
			ps.add("compose.project", "expected lower-case letters, digits, '-' and '_', starting with a letter or digit, got %q", cp.Project)
		}
		if cp.Directory != "" && !path.IsAbs(cp.Directory) {
			ps.add("compose.directory", `expected an absolute path on the Docker host such as "/opt/mastodon", got %q`, cp.Directory)
		}
		checkDockerHost(&ps, "compose.docker_host", cp.DockerHost)
		checkOneOff(&ps, "compose.oneoff.allowed", cp.OneOff.Allowed)
	}
	if b := c.Backup; b != nil {
		c.checkBackup(&ps, b)
	}
	if ct := c.Certs; ct != nil {
		checkCerts(&ps, ct)
	}
	checkHostStatus(&ps, c.Host, c.Status)
	if c.Media.Days < 1 || c.Media.Days > 36500 {
		ps.add("media.days", "expected a number of days from 1 to 36500 such as 7, got %d", c.Media.Days)
	}
	if p := c.Media.Schedule.Check("media.schedule"); p != nil {
		ps = append(ps, *p)
	} else if c.Media.Schedule != "" && c.Compose == nil {
		ps.add("media.schedule", "media cleanup runs tootctl in a one-off container of the Compose web service and needs a [compose] section; add [compose] or remove the schedule")
	}
	if c.State.Path == "" {
		ps.add("state.path", `required: a file path such as "tootops.db"`)
	}
	oneOf(&ps, "log.level", c.Log.Level, logLevels)
	oneOf(&ps, "log.format", c.Log.Format, []string{"auto", "json", "console"})
	if c.Admins.Refusal != "" {
		oneOf(&ps, "admins.refusal", c.Admins.Refusal, []string{"silent", "polite"})
	}
	if a := c.Announce; a != nil {
		oneOf(&ps, "announce.visibility", a.Visibility, []string{"public", "unlisted"})
		for _, t := range [][2]string{{"announce.upgrade_template", a.UpgradeTemplate}, {"announce.upgrade_done_template", a.UpgradeDoneTemplate}} {
			if !strings.Contains(t[1], "{version}") {
				ps.add(t[0], "expected a text with {version} in it (also {downtime} and {notes} before an upgrade), got %q", t[1])
			}
		}
	}
	c.checkUpgrade(&ps)
	positive(&ps, "confirm.window", c.Confirm.Window)
	seen := map[string]bool{}
	for _, name := range c.Confirm.SecondAdmin {
		switch {
		case name == "" || strings.TrimSpace(name) != name:
			ps.add("confirm.second_admin", "expected command names such as \"upgrade\", got %q", name)
		case seen[name]:
			ps.add("confirm.second_admin", "%q is listed twice", name)
		}
		seen[name] = true
	}
	if c.Schedule.CatchUp < 0 {
		ps.add("schedule.catch_up", `expected a duration of 0 or more such as "1h", got %q`, c.Schedule.CatchUp)
	}
	if c.Jobs.Keep < 1 {
		ps.add("jobs.keep", "expected a number of jobs of 1 or more such as 500, got %d", c.Jobs.Keep)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Jobs.Timeouts)) {
		positive(&ps, "jobs.timeouts."+quoteKey(name), c.Jobs.Timeouts[name])
	}
	checkListen(&ps, "http.listen", c.HTTP.Listen)
	for _, s := range c.secretSlots() {
		if s.secret.Source() == "inline" && *s.file != "" {
			ps.add(s.key, "set either %s or %s_file, not both", lastPart(s.key), lastPart(s.key))
		}
	}
	return ps
}

func (c *Config) checkBackup(ps *Problems, b *Backup) {
	if strings.TrimSpace(b.Database) == "" {
		ps.add("backup.database", `required: the database name such as "mastodon_production"`)
	}
	switch b.Source {
	case SourceExec:
		if c.Compose == nil {
			ps.add("backup.source", `"exec" runs pg_dump in the Compose db service and needs a [compose] section; add [compose] or set source = "host"`)
		}
	case SourceHost:
	default:
		ps.add("backup.source", `expected "exec" or "host", got %q`, b.Source)
	}
	if p := b.Schedule.Check("backup.schedule"); p != nil {
		*ps = append(*ps, *p)
	}
	if p := b.VerifySchedule.Check("backup.verify_schedule"); p != nil {
		*ps = append(*ps, *p)
	}
	// "" is the default for a Backup built in code.
	if b.ReportVisibility != "" {
		oneOf(ps, "backup.report_visibility", b.ReportVisibility, ReportVisibilities)
	}
	if b.Compression != "" {
		oneOf(ps, "backup.compression", b.Compression, CompressionLevels)
	}
	for _, r := range []struct {
		key string
		n   int
	}{{"daily", b.Retention.Daily}, {"weekly", b.Retention.Weekly}, {"monthly", b.Retention.Monthly}} {
		if r.n < 0 || r.n > 1000 {
			ps.add("backup.retention."+r.key, "expected a number of backups from 0 to 1000 such as 7, got %d", r.n)
		}
	}
	if host, port, err := net.SplitHostPort(b.Host.Address); err != nil || host == "" || !validPort(port) {
		ps.add("backup.host.address", `expected host:port such as "127.0.0.1:5432", got %q`, b.Host.Address)
	}
	if b.Host.User == "" {
		ps.add("backup.host.user", `required: the PostgreSQL role such as "postgres"`)
	}
	s3 := b.S3
	checkURL(ps, "backup.s3.endpoint", s3.Endpoint, "https://fra1.digitaloceanspaces.com", false)
	if s3.Region == "" {
		ps.add("backup.s3.region", `required: the region such as "us-east-1" or "fra1"`)
	}
	switch {
	case s3.Bucket == "":
		ps.add("backup.s3.bucket", "required when [backup] is enabled")
	case strings.ContainsFunc(s3.Bucket, func(r rune) bool { return r == '/' || isSpace(r) }):
		ps.add("backup.s3.bucket", `expected a bucket name such as "coop-backups" (no '/' or spaces), got %q`, s3.Bucket)
	}
	if s3.CAFile != "" {
		if _, err := os.Stat(s3.CAFile); err != nil {
			ps.add("backup.s3.ca_file", "cannot read %q: %v", s3.CAFile, errors.Unwrap(err))
		}
	}
	if strings.HasPrefix(s3.Prefix, "/") {
		ps.add("backup.s3.prefix", `expected a key prefix without a leading '/' such as "tootops", got %q`, s3.Prefix)
	}
	switch id, key := s3.AccessKeyID.IsSet(), s3.SecretAccessKey.IsSet(); {
	case id && !key:
		ps.add("backup.s3.secret_access_key", "required because access_key_id is set: set secret_access_key, secret_access_key_file or TOOTOPS_S3_SECRET_ACCESS_KEY (or neither key, for the AWS SDK's default credentials)")
	case key && !id:
		ps.add("backup.s3.access_key_id", "required because secret_access_key is set: set access_key_id, access_key_id_file or TOOTOPS_S3_ACCESS_KEY_ID (or neither key, for the AWS SDK's default credentials)")
	}
}

func checkCerts(ps *Problems, c *Certs) {
	if len(c.Hosts) == 0 {
		ps.add("certs.hosts", `required when [certs] is present: list at least one host such as ["social.example.coop"]`)
	}
	seen := map[string]bool{}
	for _, h := range c.Hosts {
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = h, "443"
		}
		key := strings.ToLower(net.JoinHostPort(host, port))
		switch u, err := url.Parse(h); {
		case err == nil && u.Scheme != "" && u.Host != "":
			ps.add("certs.hosts", "%q: expected a host name, not a URL: write %q", h, u.Host)
		case !validPort(port) || (net.ParseIP(host) == nil && !validDomain(host)):
			ps.add("certs.hosts", `expected host names or host:port such as "social.example.coop" or "streaming.social.example.coop:443", got %q`, h)
		case seen[key]:
			ps.add("certs.hosts", "%q is listed twice", h)
		}
		seen[key] = true
	}
	if c.WarnDays < 1 || c.WarnDays > 365 {
		ps.add("certs.warn_days", "expected a number of days from 1 to 365 such as 14, got %d", c.WarnDays)
	}
	if p := c.Schedule.Check("certs.schedule"); p != nil {
		*ps = append(*ps, *p)
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		switch {
		case err != nil:
			ps.add("certs.ca_file", "cannot read %q: %v", c.CAFile, errors.Unwrap(err))
		case !x509.NewCertPool().AppendCertsFromPEM(pem):
			ps.add("certs.ca_file", "%q holds no PEM certificate: expected a file of one or more \"-----BEGIN CERTIFICATE-----\" blocks", c.CAFile)
		}
	}
}

// checkListen checks only the syntax of a listen address: whether it is wise to serve
// beyond loopback is the admin's call (the example config says why not).
func checkListen(ps *Problems, key, s string) {
	if s == "" {
		return
	}
	host, port, err := net.SplitHostPort(s)
	// Port 0 picks a free port, which the bot logs: useful for tests.
	if err != nil || !(port == "0" || validPort(port)) || (host != "" && net.ParseIP(host) == nil && !validDomain(host)) {
		ps.add(key, `expected host:port such as "127.0.0.1:9102" or "[::1]:9102" (":9102" for every address), or "" to turn it off, got %q`, s)
	}
}

func checkHostStatus(ps *Problems, h Host, st Status) {
	seen := map[string]bool{}
	for _, d := range h.Disks {
		clean := filepath.Clean(d)
		switch {
		case !filepath.IsAbs(d):
			ps.add("host.disks", `expected absolute paths such as "/" or "/opt", got %q`, d)
		case seen[clean]:
			ps.add("host.disks", "%q is listed twice", d)
		}
		seen[clean] = true
	}
	if h.DiskWarnPercent < 1 || h.DiskWarnPercent > 99 {
		ps.add("host.disk_warn_percent", "expected a percentage from 1 to 99 such as 85, got %d", h.DiskWarnPercent)
	}
	units := map[string]bool{}
	for _, u := range h.Units {
		switch {
		case len(u) > 255 || !unitName.MatchString(u):
			ps.add("host.units", `expected systemd units with their type such as "certbot.service" or "certbot.timer", got %q`, u)
		case units[u]:
			ps.add("host.units", "%q is listed twice", u)
		}
		units[u] = true
	}
	if p := st.Schedule.Check("status.schedule"); p != nil {
		*ps = append(*ps, *p)
	}
	oneOf(ps, "status.visibility", st.Visibility, StatusVisibilities)
}

func (c *Config) checkUpgrade(ps *Problems) {
	u := c.Upgrade
	checkURL(ps, "upgrade.releases_url", u.ReleasesURL, "https://api.github.com/repos/mastodon/mastodon/releases", true)
	checkURL(ps, "upgrade.web_url", u.WebURL, "http://127.0.0.1:3000", true)
	checkURL(ps, "upgrade.streaming_url", u.StreamingURL, "http://127.0.0.1:4000", true)
	if p := u.CheckSchedule.Check("upgrade.check_schedule"); p != nil {
		*ps = append(*ps, *p)
	}
	if len(u.Services) == 0 {
		ps.add("upgrade.services", `expected the services running Mastodon's image such as ["web", "streaming", "sidekiq"]`)
	}
	if u.AssetsDir != "" && !filepath.IsAbs(u.AssetsDir) {
		ps.add("upgrade.assets_dir", `expected an absolute path such as "/opt/mastodon/assets", got %q`, u.AssetsDir)
	}
	if u.HealthTimeout <= 0 {
		ps.add("upgrade.health_timeout", `expected a duration such as "3m", got %q`, u.HealthTimeout)
	}
	if f := c.Maintenance.File; f != "" && !filepath.IsAbs(f) {
		ps.add("maintenance.file", `expected an absolute path such as "/var/www/maintenance/ON", got %q`, f)
	}
}

var logLevels = []string{"trace", "debug", "info", "warn", "error"}

var (
	composeProject = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	username       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	hostLabel      = regexp.MustCompile(`(?i)^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	oneOffWord     = regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_.:/@=+-]*|--[a-z][a-z0-9_-]*(=[A-Za-z0-9_.:/,-]*)?)$`)
	// unitName is a systemd unit with its type, or an instance of a template; no globs.
	// The same grammar as ops/host.CheckUnit (config imports nothing of the project), which
	// a test of ops/host holds them to.
	unitName = regexp.MustCompile(`^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\@-]+)?\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$`)
)

func oneOf(ps *Problems, key, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		ps.add(key, "expected one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

func positive(ps *Problems, key string, d Duration) {
	if d <= 0 {
		ps.add(key, `expected a duration greater than 0 such as "10m", got %q`, d)
	}
}

// checkURL accepts an absolute http(s) URL with a host and no query or
// fragment. A URL with credentials is reported without echoing it.
func checkURL(ps *Problems, key, s, example string, required bool) {
	want := fmt.Sprintf("an absolute http(s) URL such as %q", example)
	if s == "" {
		if required {
			ps.add(key, "required: expected %s", want)
		}
		return
	}
	u, err := url.Parse(s)
	switch {
	case err == nil && u.User != nil:
		ps.add(key, "expected %s without a user name or password", want)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		ps.add(key, "expected %s, got %q", want, s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		ps.add(key, "expected %s without query or fragment, got %q", want, s)
	}
}

func checkDockerHost(ps *Problems, key, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	ok := err == nil
	if ok {
		switch u.Scheme {
		case "unix", "npipe":
			ok = u.Path != ""
		case "tcp", "ssh":
			ok = u.Host != ""
		default:
			ok = false
		}
	}
	if !ok {
		ps.add(key, `expected a unix://, tcp://, ssh:// or npipe:// URL such as "unix:///var/run/docker.sock" or "ssh://admin@docker.example.coop", got %q`, s)
	}
}

// checkOneOff wants command prefixes of plain words: no shell runs them, and
// a word with quotes or ";" would never match what an admin types anyway.
func checkOneOff(ps *Problems, key string, allowed []string) {
	seen := map[string]bool{}
	for _, a := range allowed {
		words := strings.Fields(a)
		norm := strings.Join(words, " ")
		switch {
		case len(words) == 0:
			ps.add(key, `expected command prefixes such as "tootctl media remove", got an empty one`)
		case slices.ContainsFunc(words, func(w string) bool { return !oneOffWord.MatchString(w) }):
			ps.add(key, "%q: expected words of letters, digits and _ . : / @ = + - (no shell runs them: quotes, ;, | and $ mean nothing)", a)
		case seen[norm]:
			ps.add(key, "%q is listed twice", a)
		}
		seen[norm] = true
	}
}

// checkAccounts wants full accts, because a bare username would also match
// a namesake on another instance.
func checkAccounts(ps *Problems, key string, accounts []string) {
	seen := map[string]bool{}
	for _, a := range accounts {
		user, domain, ok := strings.Cut(a, "@")
		switch {
		case !ok || user == "" || domain == "":
			ps.add(key, `expected full accounts user@domain such as "alice@social.example.coop", got %q`, a)
		case !username.MatchString(user):
			ps.add(key, "%q: expected a username of letters, digits, '_', '.' and '-', starting with a letter, digit or '_'", a)
		case !validDomain(domain):
			ps.add(key, "%q: expected a domain such as social.example.coop, optionally with :port", a)
		case seen[strings.ToLower(a)]:
			ps.add(key, "%q is listed twice", a)
		}
		seen[strings.ToLower(a)] = true
	}
}

func validDomain(d string) bool {
	host, port, hasPort := strings.Cut(d, ":")
	if hasPort && !validPort(port) {
		return false
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if len(l) > 63 || !hostLabel.MatchString(l) {
			return false
		}
	}
	return len(host) <= 253
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && p[0] != '+'
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func lastPart(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }

// quoteKey writes a table key as TOML would: bare when it can be, else quoted.
func quoteKey(k string) string {
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return strconv.Quote(k)
		}
	}
	return k
}
