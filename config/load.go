package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// ParseOptions adjusts Load and Parse. The zero value reads the process
// environment.
type ParseOptions struct {
	// Getenv looks up the TOOTOPS_* overrides; nil means os.Getenv. Tests
	// pass a map lookup so they do not depend on the real environment.
	Getenv func(string) string
}

// Load reads the config file at path with the process environment; see
// ParseOptions.Load.
func Load(path string) (*Config, error) { return ParseOptions{}.Load(path) }

// Parse reads a config with the process environment; see ParseOptions.Parse.
func Parse(r io.Reader, dir string) (*Config, error) { return ParseOptions{}.Parse(r, dir) }

// Load reads, parses and validates the file at path. Relative paths in it
// resolve against its directory. A missing file is an error that wraps
// fs.ErrNotExist; anything wrong inside it is Problems, which do not repeat
// the file name so the caller can print it once above them.
func (o ParseOptions) Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file %s: %w", abs, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	c, err := o.Parse(f, filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	c.path = abs
	return c, nil
}

// Parse decodes TOML from r over Default, resolves secrets from their files
// and the environment, and validates the result. dir is the config file's
// directory, against which relative paths resolve ("" leaves them relative
// to the working directory). Every problem comes back at once as Problems,
// in the order of the keys in the file; a TOML syntax error comes alone,
// as "line N: …", because the parser cannot continue past it.
func (o ParseOptions) Parse(r io.Reader, dir string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, syntaxError(err, string(data))
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}

	c := Default()
	var d decoder
	d.table(nil, doc, reflect.ValueOf(&c).Elem())
	if md.IsDefined("admins") && len(c.Admins.Accounts) == 0 && !d.probs.covers("admins.accounts") {
		d.probs.add("admins.accounts", `required when [admins] is present: list at least one account such as ["alice@social.example.coop"]`)
	}
	c.normalize(dir)
	c.resolveSecrets(&d.probs, dir, getenv)
	c.readBoostTokens(&d.probs, dir)
	if v := getenv("TOOTOPS_LOG_LEVEL"); v != "" {
		if l := strings.ToLower(v); slices.Contains(logLevels, l) {
			c.Log.Level = l
		} else {
			d.probs.add("log.level", "environment variable TOOTOPS_LOG_LEVEL: expected one of %s, got %q", strings.Join(logLevels, ", "), v)
		}
	}

	// A key that failed to decode kept its default; checking that default
	// would only add noise.
	ps := d.probs
	for _, p := range c.problems() {
		if !d.probs.covers(p.Key) {
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		sortByFile(ps, md.Keys())
		return nil, ps
	}
	return &c, nil
}

// covers reports whether key, one of its parent tables, or the *_file key
// of a secret already has a problem.
func (ps Problems) covers(key string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool {
		return p.Key == key || p.Key == key+"_file" || strings.HasPrefix(key, p.Key+".")
	})
}

// sortByFile orders problems as their keys appear in the file. A key that is
// not in the file (a missing required key) sorts after the last key of its
// nearest table that is, then by name.
func sortByFile(ps Problems, keys []toml.Key) {
	rank := map[string]int{} // first line of a key
	end := map[string]int{}  // last line of a key's table
	for i, k := range keys {
		if _, ok := rank[k.String()]; !ok {
			rank[k.String()] = i
		}
		for j := 1; j <= len(k); j++ {
			end[k[:j].String()] = i
		}
	}
	pos := func(key string) int {
		if r, ok := rank[key]; ok {
			return 2 * r
		}
		for {
			i := strings.LastIndexByte(key, '.')
			if i < 0 {
				return 2 * len(keys)
			}
			key = key[:i]
			if e, ok := end[key]; ok {
				return 2*e + 1
			}
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(pos(a.Key), pos(b.Key)), strings.Compare(a.Key, b.Key))
	})
}

// syntaxError reports a TOML syntax error by line. The parser quotes the
// offending text, which may be part of an unquoted secret, so near a secret
// key the detail is withheld.
func syntaxError(err error, doc string) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Problems{{Msg: "invalid TOML"}}
	}
	msg := pe.Message
	line := ""
	if lines := strings.Split(doc, "\n"); pe.Position.Line >= 1 && pe.Position.Line <= len(lines) {
		line = lines[pe.Position.Line-1]
	}
	for _, name := range secretNames() {
		if strings.Contains(pe.LastKey, name) || strings.Contains(line, name) {
			msg = fmt.Sprintf(`syntax error near %s (details hidden because it may hold a secret); secrets are quoted strings such as %s = "…"`, name, name)
			break
		}
	}
	return Problems{{Msg: fmt.Sprintf("line %d: %s", pe.Position.Line, msg)}}
}

// secretNames are the last parts of every Secret key.
func secretNames() []string {
	var names []string
	for _, k := range allKeys() {
		if f, ok := fieldOf(k); ok && f.Type == reflect.TypeFor[Secret]() {
			names = append(names, k[len(k)-1])
		}
	}
	return names
}

// fieldOf finds the struct field for a key of Config.
func fieldOf(key toml.Key) (reflect.StructField, bool) {
	t := reflect.TypeFor[Config]()
	var f reflect.StructField
	for _, name := range key {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return f, false
		}
		found := false
		for i := range t.NumField() {
			if tomlName(t.Field(i)) == name {
				f, found = t.Field(i), true
				break
			}
		}
		if !found {
			return f, false
		}
		t = f.Type
	}
	return f, true
}

// normalize puts values in the one form the rest of the bot compares
// against, and resolves relative paths against dir.
func (c *Config) normalize(dir string) {
	if m := c.Mastodon; m != nil {
		m.Server = normalizeURL(m.Server)
	}
	for i, a := range c.Admins.Accounts {
		if len(a) > 1 {
			a = strings.TrimPrefix(a, "@")
		}
		if user, domain, ok := strings.Cut(a, "@"); ok {
			a = user + "@" + strings.ToLower(domain)
		}
		c.Admins.Accounts[i] = a
	}
	if cp := c.Compose; cp != nil && path.IsAbs(cp.Directory) {
		cp.Directory = path.Clean(cp.Directory)
	}
	if b := c.Backup; b != nil {
		b.S3.Endpoint = normalizeURL(b.S3.Endpoint)
		b.S3.Prefix = strings.TrimRight(b.S3.Prefix, "/")
		b.S3.CAFile = resolvePath(dir, b.S3.CAFile)
	}
	if ct := c.Certs; ct != nil {
		ct.CAFile = resolvePath(dir, ct.CAFile)
	}
	c.Log.Level = strings.ToLower(c.Log.Level)
	c.Log.Format = strings.ToLower(c.Log.Format)
	c.State.Path = resolvePath(dir, c.State.Path)
}

// resolvePath makes a relative path relative to dir instead of the working
// directory.
func resolvePath(dir, p string) string {
	if p == "" || dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// normalizeURL lower-cases scheme and host and drops a trailing slash, so
// "https://Social.Example.coop/" and "https://social.example.coop" match.
func normalizeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return s
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/")
}

// maxSecretFile bounds a secret file read, so a path to a huge or endless
// file cannot exhaust memory.
const maxSecretFile = 64 << 10

// resolveSecrets resolves *_file paths against dir and reads them, then
// lets the environment override, for the sections present. Conflicts are
// left for Validate to report.
func (c *Config) resolveSecrets(ps *Problems, dir string, getenv func(string) string) {
	for _, s := range c.secretSlots() {
		raw := *s.file
		*s.file = resolvePath(dir, raw)
		if s.secret.IsSet() && raw != "" {
			continue
		}
		if raw != "" {
			v, err := readSecretFile(*s.file)
			var pe *fs.PathError
			switch {
			case errors.As(err, &pe) && looksLikeSecret(raw):
				ps.add(s.key+"_file", "expected the path of a readable file holding only the secret, got a value that cannot be read (%v) and is not shown because it looks like the secret itself; put the secret in %s, or its path in %s_file", pe.Err, lastPart(s.key), lastPart(s.key))
				continue
			case err != nil:
				ps.add(s.key+"_file", "expected a readable file holding only the secret: %v", err)
				continue
			}
			*s.secret = newSecret(v, "file "+*s.file)
		}
		if v := getenv(s.env); v != "" {
			*s.secret = newSecret(v, "env "+s.env)
		}
	}
}

// looksLikeSecret catches a token pasted into a *_file key, whose name would
// otherwise be echoed in the "cannot open" error: long, and neither a path
// nor a file name with an extension.
func looksLikeSecret(s string) bool {
	return len(s) >= 16 && !strings.ContainsAny(s, `/\.`)
}

// readSecretFile returns the file's content without trailing whitespace.
// Errors name the file, never its content.
// readBoostTokens reads [announce] boost_tokens_file: one token per line, blank lines and
// "#" comments skipped. Its content is never shown, not even in an error.
func (c *Config) readBoostTokens(ps *Problems, dir string) {
	a := c.Announce
	if a == nil || a.BoostTokensFile == "" {
		return
	}
	a.BoostTokensFile = resolvePath(dir, a.BoostTokensFile)
	v, err := readSecretFile(a.BoostTokensFile)
	if err != nil {
		ps.add("announce.boost_tokens_file", "expected a readable file with one access token per line: %v", err)
		return
	}
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			a.boostTokens = append(a.boostTokens, newSecret(line, "file "+a.BoostTokensFile))
		}
	}
}

func readSecretFile(name string) (string, error) {
	// Stat first: opening a FIFO would block and a device may never end.
	fi, err := os.Stat(name)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d KiB", name, maxSecretFile>>10)
	}
	v := strings.TrimRight(string(b), " \t\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", name)
	}
	return v, nil
}
