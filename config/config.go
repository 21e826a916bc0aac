package config

import "time"

// Config is the whole configuration. Optional sections are nil when the file
// leaves them out, so callers can tell "not configured" from "configured
// with defaults".
type Config struct {
	Mastodon *Mastodon `toml:"mastodon"`
	Admins   Admins    `toml:"admins,omitempty"` // omitted when empty: a present [admins] must list someone
	Compose  *Compose  `toml:"compose"`
	Backup   *Backup   `toml:"backup"`
	Upgrade  Upgrade   `toml:"upgrade"`
	// Maintenance is the nginx flag file of maintenance mode.
	Maintenance Maintenance `toml:"maintenance"`
	Certs       *Certs      `toml:"certs"`
	Host        Host        `toml:"host"`
	Status      Status      `toml:"status"`
	Media       Media       `toml:"media"`
	State       State       `toml:"state"`
	Log         Log         `toml:"log"`
	Announce    *Announce   `toml:"announce"`
	Confirm     Confirm     `toml:"confirm"`
	Schedule    Schedule    `toml:"schedule"`
	Jobs        Jobs        `toml:"jobs"`
	HTTP        HTTP        `toml:"http"`

	path string // file the config was loaded from
}

// Mastodon is the bot account's connection. It is optional because the
// console drives the same pipeline without Mastodon.
type Mastodon struct {
	// Server is the instance's base URL, normalized: lower-case scheme and
	// host, no trailing slash.
	Server          string `toml:"server" example:"\"https://social.example.coop\""`
	AccessToken     Secret `toml:"access_token"`
	AccessTokenFile string `toml:"access_token_file" example:"\"/run/secrets/mastodon_token\""`
	// StaleAfter bounds how old a state-changing command found by catch-up
	// may be and still run; an older one asks again.
	StaleAfter Duration `toml:"stale_after"`
}

func (m *Mastodon) setDefaults() { m.StaleAfter = Duration(10 * time.Minute) }

// Admins lists who may command the bot.
type Admins struct {
	// Accounts are full accts (user@domain), normalized: no leading "@",
	// lower-case domain.
	Accounts []string `toml:"accounts" example:"[\"alice@example.org\"]"`
	// Refusal is what a stranger's DM gets: "silent" (nothing; "" means the same) or
	// "polite" (one short refusal an hour per sender).
	Refusal string `toml:"refusal,omitempty" example:"\"polite\""`
	// RequireRole makes every command re-check, on Mastodon, that the sender's role still
	// grants Administrator or DevOps.
	RequireRole bool `toml:"require_role,omitempty"`
}

// Announce configures the bot's public posts (the announce command, upgrades).
type Announce struct {
	// Visibility of announcements: "public" or "unlisted".
	Visibility string `toml:"visibility" example:"\"unlisted\""`
	// BoostTokensFile holds access tokens of admin accounts, one per line, that boost
	// each announcement so their followers see it too.
	BoostTokensFile string `toml:"boost_tokens_file" example:"\"/etc/tootops/boost-tokens\""`
	// UpgradeTemplate is the announcement before an upgrade; {version}, {downtime}
	// and {notes} are filled in.
	UpgradeTemplate string `toml:"upgrade_template" example:"\"Upgrading to Mastodon {version} now\""`
	// UpgradeDoneTemplate is the reply to that announcement when the upgrade is done.
	UpgradeDoneTemplate string `toml:"upgrade_done_template" example:"\"Mastodon {version} is live\""`

	boostTokens []Secret
}

func (a *Announce) setDefaults() {
	a.Visibility = "public"
	a.UpgradeTemplate = DefaultUpgradeTemplate
	a.UpgradeDoneTemplate = DefaultUpgradeDoneTemplate
}

// The default upgrade announcements.
const (
	DefaultUpgradeTemplate     = "We are upgrading this server to Mastodon {version} now. Expected downtime: {downtime}. What's new: {notes}"
	DefaultUpgradeDoneTemplate = "Done: this server now runs Mastodon {version}. Thank you for your patience!"
)

// Upgrade configures `version` and the guided upgrade.
type Upgrade struct {
	// ReleasesURL is the GitHub Releases API of Mastodon.
	ReleasesURL     string `toml:"releases_url" example:"\"https://api.github.com/repos/mastodon/mastodon/releases\""`
	GitHubToken     Secret `toml:"github_token"`
	GitHubTokenFile string `toml:"github_token_file" example:"\"/run/secrets/github_token\""`
	// CheckSchedule is when the bot looks for new releases and tells the admins.
	CheckSchedule CronSpec `toml:"check_schedule"`
	// WebURL and StreamingURL reach web and streaming directly, not through nginx.
	WebURL       string `toml:"web_url" example:"\"http://127.0.0.1:3000\""`
	StreamingURL string `toml:"streaming_url" example:"\"http://127.0.0.1:4000\""`
	// Services are recreated on the new image, in this order.
	Services []string `toml:"services" example:"[\"web\", \"streaming\", \"sidekiq\"]"`
	// AssetsDir receives the new image's public/ for nginx; "" copies nothing.
	AssetsDir string `toml:"assets_dir" example:"\"/opt/mastodon/assets\""`
	// HealthTimeout bounds the wait for the recreated services to be healthy.
	HealthTimeout Duration `toml:"health_timeout"`
}

func (u *Upgrade) setDefaults() {
	u.ReleasesURL = "https://api.github.com/repos/mastodon/mastodon/releases"
	u.WebURL = "http://127.0.0.1:3000"
	u.StreamingURL = "http://127.0.0.1:4000"
	u.Services = []string{"web", "streaming", "sidekiq"}
	u.HealthTimeout = Duration(3 * time.Minute)
}

// Maintenance is maintenance mode: a flag file nginx checks on every request.
type Maintenance struct {
	// File is created to turn maintenance on and removed to turn it off.
	File string `toml:"file" example:"\"/var/www/maintenance/ON\""`
}

// Certs is the TLS certificate check of the hosts the instance depends on (`certs`). The
// section being present enables it.
type Certs struct {
	// Hosts are host names, or host:port (443 by default), connected to in this order.
	Hosts []string `toml:"hosts" example:"[\"social.example.coop\", \"streaming.social.example.coop:443\"]"`
	// WarnDays: a certificate with fewer days left is reported.
	WarnDays int `toml:"warn_days" example:"14"`
	// Schedule is when `certs --problems-only` runs and DMs the admins about problems;
	// empty means only on demand.
	Schedule CronSpec `toml:"schedule"`
	// CAFile is a PEM bundle trusted besides the system's roots, for a private CA.
	CAFile string `toml:"ca_file" example:"\"/etc/tootops/private-ca.pem\""`
}

func (c *Certs) setDefaults() { c.WarnDays = 14 }

// Host is what `status` measures of the machine: disks by statfs of these paths, as the
// bot sees them (mount them into its container when it runs in one), load and memory;
// and the systemd units whose journal `journal` may read.
type Host struct {
	// Disks are paths whose file systems are reported, each on its own line.
	Disks []string `toml:"disks" example:"[\"/\", \"/opt\"]"`
	// DiskWarnPercent: a disk used over this share is a warning.
	DiskWarnPercent int `toml:"disk_warn_percent" example:"85"`
	// Units are the systemd units, with their type, whose journal `journal` reads; none
	// by default, since logs can hold anything. `timers` lists every host timer anyway:
	// names and times only.
	Units []string `toml:"units" example:"[\"certbot.service\", \"certbot.timer\", \"pg-dump-to-s3.service\"]"`
}

// Status schedules `status`.
type Status struct {
	// Schedule is when `status` runs by itself and posts its reply; empty means only on
	// demand.
	Schedule CronSpec `toml:"schedule"`
	// Visibility of the scheduled reply: "public", "unlisted", "private" or "direct" (to
	// the admins).
	Visibility string `toml:"visibility" example:"\"direct\""`
}

// StatusVisibilities are the visibilities of the scheduled status.
var StatusVisibilities = []string{"public", "unlisted", "private", "direct"}

// BoostTokens are the tokens read from BoostTokensFile.
func (a *Announce) BoostTokens() []Secret { return a.boostTokens }

// Compose locates the docker-compose deployment of Mastodon.
type Compose struct {
	// Project is the Compose project name, matched against container labels.
	Project string `toml:"project" example:"\"mastodon\""`
	// Directory is the project directory on the Docker host, as found in
	// the com.docker.compose.project.working_dir label.
	Directory string `toml:"directory" example:"\"/opt/mastodon\""`
	// DockerHost overrides DOCKER_HOST; empty means DOCKER_HOST, else the
	// local socket.
	DockerHost string `toml:"docker_host" example:"\"unix:///var/run/docker.sock\""`
	// OneOff governs `run SERVICE -- COMMAND…`.
	OneOff OneOff `toml:"oneoff"`
}

// DefaultOneOffAllowed is the allow-list of one-off commands when
// [compose.oneoff] leaves it out: maintenance that removes caches and
// reports, nothing that deletes accounts or statuses.
var DefaultOneOffAllowed = []string{
	"tootctl version",
	"tootctl media remove",
	"tootctl accounts prune",
	"tootctl preview_cards remove",
	"tootctl cache clear",
}

func (c *Compose) setDefaults() {
	c.OneOff.Allowed = append([]string(nil), DefaultOneOffAllowed...)
}

// OneOff lists what may run in one-off containers.
type OneOff struct {
	// Allowed are command prefixes, word for word, such as "tootctl media
	// remove"; the words after one are checked against the flags the bot
	// knows for that command.
	Allowed []string `toml:"allowed" example:"[\"tootctl version\", \"tootctl media remove\"]"`
}

// Media governs the removal of cached remote media (`media cleanup`,
// tootctl media remove in a one-off web container).
type Media struct {
	// Days is the age of cached media that `media cleanup` removes when
	// given no --days.
	Days int `toml:"days" example:"7"`
	// Schedule is when `media cleanup` runs by itself; empty means only on
	// demand. It needs [compose].
	Schedule CronSpec `toml:"schedule"`
}

// Backup configures database backups to S3. The section being present
// enables backups.
type Backup struct {
	Database string `toml:"database" example:"\"mastodon_production\""`
	// Source is "exec" (pg_dump inside the Compose db service) or "host"
	// (pg_dump on the bot's host, connecting to Host).
	Source string `toml:"source" example:"\"exec\""`
	// Schedule is when the nightly backup runs; empty means only on demand.
	Schedule CronSpec `toml:"schedule"`
	// VerifySchedule is when `backup verify` restores the newest backup into
	// a scratch database by itself; empty means only on demand.
	VerifySchedule CronSpec `toml:"verify_schedule"`
	// ReportVisibility is how the status toot after a scheduled backup is
	// posted: "public", "unlisted", "private", "direct" (to the admins) or
	// "none".
	ReportVisibility string `toml:"report_visibility" example:"\"unlisted\""`
	// Compression is the zstd level the dump is compressed with:
	// "fastest", "default" or "better".
	Compression string          `toml:"compression" example:"\"default\""`
	Retention   BackupRetention `toml:"retention"`
	Host        BackupHost      `toml:"host"`
	S3          S3              `toml:"s3"`
}

// BackupRetention is how many backups are kept after a successful one: the
// newest of each of the last Daily days, Weekly ISO weeks and Monthly
// months that have a backup. The newest backup and the newest verified one
// are always kept.
type BackupRetention struct {
	Daily   int `toml:"daily" example:"7"`
	Weekly  int `toml:"weekly" example:"4"`
	Monthly int `toml:"monthly" example:"6"`
}

// Backup report visibilities; "none" posts nothing.
var ReportVisibilities = []string{"public", "unlisted", "private", "direct", "none"}

// Backup compression levels.
var CompressionLevels = []string{"fastest", "default", "better"}

// Backup sources.
const (
	SourceExec = "exec"
	SourceHost = "host"
)

func (b *Backup) setDefaults() {
	b.Database = "mastodon_production"
	b.Source = SourceExec
	b.ReportVisibility = "unlisted"
	b.Compression = "default"
	b.Retention = BackupRetention{Daily: 7, Weekly: 4, Monthly: 6}
	b.Host = BackupHost{Address: "127.0.0.1:5432", User: "postgres"}
	b.S3 = S3{Region: "us-east-1", Prefix: "tootops"}
}

// BackupHost is the PostgreSQL server reached directly when Backup.Source is
// "host".
type BackupHost struct {
	Address      string `toml:"address" example:"\"127.0.0.1:5432\""`
	User         string `toml:"user" example:"\"postgres\""`
	Password     Secret `toml:"password"`
	PasswordFile string `toml:"password_file" example:"\"/run/secrets/pg_password\""`
}

// S3 is where backups go. Empty keys mean the AWS SDK's default credentials.
type S3 struct {
	// Endpoint is for S3-compatible stores; empty means AWS.
	Endpoint string `toml:"endpoint" example:"\"https://fra1.digitaloceanspaces.com\""`
	Region   string `toml:"region" example:"\"us-east-1\""`
	Bucket   string `toml:"bucket" example:"\"coop-backups\""`
	// Prefix is prepended to object keys, without leading or trailing '/'.
	Prefix    string `toml:"prefix" example:"\"tootops\""`
	PathStyle bool   `toml:"path_style"`
	// CAFile is a PEM bundle trusted for the endpoint besides the system's
	// roots, for a store behind a private certificate authority.
	CAFile              string `toml:"ca_file" example:"\"/etc/tootops/s3-ca.pem\""`
	AccessKeyID         Secret `toml:"access_key_id"`
	AccessKeyIDFile     string `toml:"access_key_id_file" example:"\"/run/secrets/s3_key_id\""`
	SecretAccessKey     Secret `toml:"secret_access_key"`
	SecretAccessKeyFile string `toml:"secret_access_key_file" example:"\"/run/secrets/s3_secret\""`
}

// State is the bot's embedded store.
type State struct {
	// Path is resolved against the config file's directory.
	Path string `toml:"path" example:"\"tootops.db\""`
}

// Log configures the logger built in main.
type Log struct {
	Level  string `toml:"level" example:"\"info\""`
	Format string `toml:"format" example:"\"auto\""`
}

// Confirm governs how state-changing commands are confirmed.
type Confirm struct {
	// Window is how long a pending confirmation stays valid.
	Window Duration `toml:"window"`
	// SecondAdmin names commands that need a different admin's approval.
	// The bot checks them against its command registry.
	SecondAdmin []string `toml:"second_admin" example:"[\"upgrade\"]"`
	// AllowInlineYes lets "--yes" skip the question.
	AllowInlineYes bool `toml:"allow_inline_yes"`
}

// Schedule governs cron jobs.
type Schedule struct {
	// CatchUp is how late a run missed while the bot was down may still run
	// once at start; 0 never catches up.
	CatchUp Duration `toml:"catch_up"`
}

// Jobs governs how commands run as jobs.
type Jobs struct {
	// Timeouts overrides a command's own timeout, by command name.
	Timeouts map[string]Duration `toml:"timeouts" example:"{ backup = \"2h\" }"`
	// Keep is how many finished jobs are kept for "jobs" and "job N".
	Keep int `toml:"keep" example:"500"`
}

// HTTP is the bot's own HTTP endpoint: /healthz and Prometheus /metrics.
type HTTP struct {
	// Listen is the host:port the endpoint listens on; "" turns it off. Neither
	// endpoint asks for authentication, so it belongs on loopback or behind a proxy
	// that adds it.
	Listen string `toml:"listen" example:"\"127.0.0.1:9102\""`
}

// DefaultHTTPListen is where /healthz and /metrics listen unless [http] says otherwise:
// loopback only.
const DefaultHTTPListen = "127.0.0.1:9102"

// Default returns the configuration used for every key the file leaves
// out. Optional sections are nil; their defaults apply once they are present.
func Default() Config {
	return Config{
		Media:    Media{Days: 7},
		State:    State{Path: "tootops.db"},
		Log:      Log{Level: "info", Format: "auto"},
		Confirm:  Confirm{Window: Duration(2 * time.Minute)},
		Schedule: Schedule{CatchUp: Duration(time.Hour)},
		Jobs:     Jobs{Keep: 500},
		Upgrade:  defaultUpgrade(),
		Host:     Host{Disks: []string{"/"}, DiskWarnPercent: 85},
		Status:   Status{Visibility: "direct"},
		HTTP:     HTTP{Listen: DefaultHTTPListen},
	}
}

func defaultUpgrade() Upgrade {
	var u Upgrade
	u.setDefaults()
	return u
}

// defaulter is implemented by optional sections, whose defaults are laid
// down when the file creates them and before the file's keys are decoded.
type defaulter interface{ setDefaults() }

// Path returns the file the config was loaded from, or "" if it was parsed
// from a reader.
func (c *Config) Path() string { return c.path }
