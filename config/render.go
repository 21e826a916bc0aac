package config

import (
	"bytes"
	"strings"

	"github.com/BurntSushi/toml"
)

// String renders the effective config as TOML, defaults filled in, optional
// sections that are absent left out, and secrets masked: it is what
// `bot check` prints and what goes into a bug report.
func (c *Config) String() string {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return "# cannot render config: " + err.Error()
	}
	// Without indentation, a blank line before each table keeps sub-tables
	// such as [backup.s3] readable.
	lines := strings.Split(b.String(), "\n")
	var out []string
	for i, l := range lines {
		if strings.HasPrefix(l, "[") && i > 0 && lines[i-1] != "" {
			out = append(out, "")
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
