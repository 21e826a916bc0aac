package config

import (
	"encoding/json"
	"fmt"
)

// mask stands in for a secret that is set, wherever it would be printed.
const mask = "********"

// Secret holds a credential. Its value is reachable only through Reveal, so
// that printing, logging or marshalling a Config can never leak it. The value
// sits behind a pointer because fmt skips Format when it reports a bad verb
// (say %s of a Config) and prints nested fields raw; a pointer prints as an
// address there.
type Secret struct {
	p *secretValue
}

type secretValue struct {
	value  string
	source string
}

// newSecret returns a secret from source, or the zero Secret for "".
func newSecret(value, source string) Secret {
	if value == "" {
		return Secret{}
	}
	return Secret{&secretValue{value: value, source: source}}
}

// NewSecret returns an inline secret; an empty value is not set. It is meant
// for tests and for code that builds a Config by hand.
func NewSecret(value string) Secret { return newSecret(value, "inline") }

// Reveal returns the value, for handing to the client that needs it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return s.p.value
}

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.p != nil }

// Source says where the value came from, for `bot check` and logs: "inline",
// "file /path", "env TOOTOPS_…", or "" when not set.
func (s Secret) Source() string {
	if s.p == nil {
		return ""
	}
	return s.p.source
}

// String masks the value.
func (s Secret) String() string {
	if !s.IsSet() {
		return "(not set)"
	}
	return mask
}

// GoString masks the value for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format masks the value for every verb and flag, including %x and %q,
// which would otherwise bypass String.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalText masks the value; it is what the TOML rendering shows.
func (s Secret) MarshalText() ([]byte, error) {
	if !s.IsSet() {
		return []byte{}, nil
	}
	return []byte(mask), nil
}

// MarshalJSON masks the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	text, _ := s.MarshalText()
	return json.Marshal(string(text))
}

// UnmarshalText takes an inline value from the config file.
func (s *Secret) UnmarshalText(text []byte) error {
	*s = NewSecret(string(text))
	return nil
}

// accepts describes the TOML value a Secret decodes from, for type errors.
func (Secret) accepts() string { return `a quoted string such as "…"` }

// secretSlot ties a secret to its *_file key and environment variable, so
// that resolving, conflict checks and leak tests walk one list.
type secretSlot struct {
	key    string // TOML key of the inline value, e.g. "mastodon.access_token"
	env    string
	secret *Secret
	file   *string // path from the *_file key
}

// secretSlots lists the secrets of the sections present in c. Adding a
// secret means adding it here.
func (c *Config) secretSlots() []secretSlot {
	var s []secretSlot
	if m := c.Mastodon; m != nil {
		s = append(s, secretSlot{"mastodon.access_token", "TOOTOPS_MASTODON_ACCESS_TOKEN", &m.AccessToken, &m.AccessTokenFile})
	}
	if b := c.Backup; b != nil {
		s = append(s,
			secretSlot{"backup.host.password", "TOOTOPS_DATABASE_PASSWORD", &b.Host.Password, &b.Host.PasswordFile},
			secretSlot{"backup.s3.access_key_id", "TOOTOPS_S3_ACCESS_KEY_ID", &b.S3.AccessKeyID, &b.S3.AccessKeyIDFile},
			secretSlot{"backup.s3.secret_access_key", "TOOTOPS_S3_SECRET_ACCESS_KEY", &b.S3.SecretAccessKey, &b.S3.SecretAccessKeyFile},
		)
	}
	s = append(s, secretSlot{"upgrade.github_token", "TOOTOPS_GITHUB_TOKEN", &c.Upgrade.GitHubToken, &c.Upgrade.GitHubTokenFile})
	return s
}
