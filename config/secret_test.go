package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tootops/tootops/config"
)

// leak is part of every secret value in these tests; it must never show.
const leak = "XyZZy-4242"

func TestSecretPrecedence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("file-"+leak+" \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "[mastodon]\nserver = \"https://social.example.coop\"\n"
	const envName = "TOOTOPS_MASTODON_ACCESS_TOKEN"
	tests := []struct {
		name       string
		keys       string
		env        string
		want       string
		wantSource string
	}{
		{"none", "", "", "", ""},
		{"inline", `access_token = "inline-` + leak + `"`, "", "inline-" + leak, "inline"},
		{"file, trailing whitespace trimmed", `access_token_file = "token"`, "", "file-" + leak, "file " + filepath.Join(dir, "token")},
		{"env", "", "env-" + leak, "env-" + leak, "env " + envName},
		{"env over inline", `access_token = "inline-` + leak + `"`, "env-" + leak, "env-" + leak, "env " + envName},
		{"env over file", `access_token_file = "token"`, "env-" + leak, "env-" + leak, "env " + envName},
		{"empty inline is not set", `access_token = ""`, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, env(map[string]string{envName: tt.env}), dir, head+tt.keys+"\n")
			s := c.Mastodon.AccessToken
			if got := s.Reveal(); got != tt.want {
				t.Errorf("Reveal() = %q, want %q", got, tt.want)
			}
			if got := s.Source(); got != tt.wantSource {
				t.Errorf("Source() = %q, want %q", got, tt.wantSource)
			}
			if got, want := s.IsSet(), tt.want != ""; got != want {
				t.Errorf("IsSet() = %v, want %v", got, want)
			}
		})
	}
}

func TestSecretEnvVariables(t *testing.T) {
	doc := `
[compose]
project = "mastodon"
[backup.s3]
bucket = "b"
`
	vars := map[string]string{
		"TOOTOPS_MASTODON_ACCESS_TOKEN": "tok-" + leak, // ignored: no [mastodon]
		"TOOTOPS_S3_ACCESS_KEY_ID":      "id-" + leak,
		"TOOTOPS_S3_SECRET_ACCESS_KEY":  "key-" + leak,
		"TOOTOPS_DATABASE_PASSWORD":     "pw-" + leak,
	}
	c := mustParse(t, env(vars), "", doc)
	if c.Mastodon != nil {
		t.Error("an env token must not create [mastodon]")
	}
	for _, tt := range []struct {
		s    config.Secret
		want string
	}{
		{c.Backup.S3.AccessKeyID, "id-" + leak},
		{c.Backup.S3.SecretAccessKey, "key-" + leak},
		{c.Backup.Host.Password, "pw-" + leak},
	} {
		if got := tt.s.Reveal(); got != tt.want {
			t.Errorf("Reveal() = %q, want %q", got, tt.want)
		}
	}

	// t.Setenv reaches the plain Parse, which reads the real environment.
	t.Setenv("TOOTOPS_S3_ACCESS_KEY_ID", "id-"+leak)
	t.Setenv("TOOTOPS_S3_SECRET_ACCESS_KEY", "")
	_, err := config.Parse(strings.NewReader(doc), "")
	want := "backup.s3.secret_access_key: required because access_key_id is set: set secret_access_key, secret_access_key_file or TOOTOPS_S3_SECRET_ACCESS_KEY (or neither key, for the AWS SDK's default credentials)"
	if err == nil || err.Error() != want {
		t.Errorf("Parse with only the key id in the env = %v, want %q", err, want)
	}
}

// TestSecretsNeverLeak sets every secret, from every source, and looks for
// it in everything that prints or marshals a Config.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{"token": "file-tok-" + leak, "s3-secret": "file-key-" + leak + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	doc := `
[mastodon]
server = "https://social.example.coop"
access_token_file = "token"
[compose]
project = "mastodon"
[backup]
source = "host"
[backup.host]
password = "inline-pw-` + leak + `"
[backup.s3]
bucket = "b"
access_key_id = "inline-id-` + leak + `"
secret_access_key_file = "s3-secret"
`
	c := mustParse(t, env(map[string]string{"TOOTOPS_DATABASE_PASSWORD": "env-pw-" + leak}), dir, doc)
	for _, s := range []config.Secret{c.Mastodon.AccessToken, c.Backup.Host.Password, c.Backup.S3.AccessKeyID, c.Backup.S3.SecretAccessKey} {
		if !strings.Contains(s.Reveal(), leak) {
			t.Fatalf("secret from %s not loaded", s.Source())
		}
	}

	outputs := map[string]string{"String()": c.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		for name, v := range map[string]any{
			"Config": *c, "*Config": c, "Mastodon": *c.Mastodon, "*Mastodon": c.Mastodon,
			"*Backup": c.Backup, "Backup": *c.Backup, "S3": c.Backup.S3, "BackupHost": c.Backup.Host,
			"Secret": c.Mastodon.AccessToken, "*Secret": &c.Mastodon.AccessToken,
		} {
			outputs[verb+" of "+name] = fmt.Sprintf(verb, v)
		}
	}
	for name, v := range map[string]any{"Config": c, "Backup": c.Backup, "Mastodon": c.Mastodon} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs["json of "+name] = string(b)
	}
	text, _ := c.Mastodon.AccessToken.MarshalText()
	outputs["MarshalText"] = string(text)

	for name, out := range outputs {
		if strings.Contains(out, leak) {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["String()"], `access_token = "********"`) {
		t.Errorf("String() does not show the token as masked:\n%s", outputs["String()"])
	}
	if got, want := outputs["%#v of Secret"], `config.Secret("********")`; got != want {
		t.Errorf("%%#v of Secret = %s, want %s", got, want)
	}
}

// TestSecretsNeverLeakInErrors puts secrets where errors describe values.
func TestSecretsNeverLeakInErrors(t *testing.T) {
	docs := []string{
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = 4242\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = [\"" + leak + "\"]\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = " + leak + "\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = \"" + leak + "\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = '''" + leak + "\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = \"" + leak + "\"" + leak + "\"\n",
		"[backup.host]\npassword = {x = \"" + leak + "\"}\n",
		"[backup.s3]\nsecret_access_key = " + leak + "\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_tokne = \"" + leak + "\"\n",
		"[mastodon]\nserver = \"https://bot:" + leak + "@social.example.coop\"\n",
		"[mastodon]\nserver = \"https://social.example.coop\"\naccess_token = \"" + leak + "\"\naccess_token_file = \"x\"\n",
	}
	for _, doc := range docs {
		_, err := parse(t, noEnv, t.TempDir(), doc)
		if err == nil {
			t.Errorf("no error for %q", doc)
			continue
		}
		if strings.Contains(err.Error(), leak) || strings.Contains(err.Error(), "4242") {
			t.Errorf("error leaks a secret:\n%v", err)
		}
		var ps config.Problems
		if !errors.As(err, &ps) {
			t.Errorf("error %T is not Problems", err)
		}
	}
}

func TestSecretZeroAndNew(t *testing.T) {
	tests := []struct {
		s                       config.Secret
		str, text, json, source string
		set                     bool
	}{
		{config.Secret{}, "(not set)", "", `""`, "", false},
		{config.NewSecret(""), "(not set)", "", `""`, "", false},
		{config.NewSecret(leak), "********", "********", `"********"`, "inline", true},
	}
	for _, tt := range tests {
		text, _ := tt.s.MarshalText()
		js, _ := json.Marshal(tt.s)
		if got := fmt.Sprint(tt.s); got != tt.str {
			t.Errorf("Sprint = %q, want %q", got, tt.str)
		}
		if string(text) != tt.text || string(js) != tt.json || tt.s.Source() != tt.source || tt.s.IsSet() != tt.set {
			t.Errorf("text %q json %s source %q set %v; want %q %s %q %v", text, js, tt.s.Source(), tt.s.IsSet(), tt.text, tt.json, tt.source, tt.set)
		}
	}
}
