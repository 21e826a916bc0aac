package main

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tootops/tootops/state"
)

var update = flag.Bool("update", false, "rewrite docs/commands.md from the registry")

// invoke runs the binary's logic in-process and returns its exit code and output.
func invoke(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// writeConfig writes a config into a temp dir (state beside it) and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if !strings.Contains(body, "[http]") {
		// A free port: tests run bots side by side, and the default port is one.
		body += "\n[http]\nlisten = \"127.0.0.1:0\"\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const minimalConfig = `
[admins]
accounts = ["alice@social.example.coop"]
[log]
format = "json"
`

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := invoke(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "tootops ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = invoke(t, "", "help")
	if code != 0 || !strings.Contains(out, "usage: bot") {
		t.Errorf("help: %d %q", code, out)
	}
	code, out, _ = invoke(t, "", "help", "ping")
	if code != 0 || !strings.Contains(out, "ping") {
		t.Errorf("help ping: %d %q", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"--bogus", "run"},
		{"check", "--nope"},
		{"version", "extra"},
		{"help", "retsart"},
	} {
		code, _, errOut := invoke(t, "", args...)
		if code != 2 || errOut == "" || strings.Contains(errOut, "goroutine") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestCheckOfflineOnTheExampleConfig(t *testing.T) {
	code, out, errOut := invoke(t, "", "check", "--offline", "--config", "../../config.example.toml")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"✓ config ", "✓ state: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Errorf("a check failed:\n%s", out)
	}
}

func TestConfigProblemsKeyByKey(t *testing.T) {
	path := writeConfig(t, `
[mastodon]
server = "https://social.example.coop"
acces_token = "x"
[compose]
project = "mastodon"
[backup]
database = "mastodon_production"
`)
	code, out, errOut := invoke(t, "", "check", "--offline", "--config", path)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errOut)
	}
	for _, want := range []string{
		"2 problems",
		"\n  backup.s3.bucket: required when [backup] is enabled",
		"\n  mastodon.acces_token: unknown key (did you mean access_token?)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestMissingConfig(t *testing.T) {
	t.Setenv("TOOTOPS_CONFIG", filepath.Join(t.TempDir(), "nope.toml"))
	code, _, errOut := invoke(t, "", "console")
	if code != 2 || !strings.Contains(errOut, "nope.toml") || !strings.Contains(errOut, "no such file") {
		t.Errorf("exit %d stderr %q; want 2 naming the file", code, errOut)
	}
}

func TestConsoleAnswersPiped(t *testing.T) {
	path := writeConfig(t, minimalConfig)
	code, out, errOut := invoke(t, "help\nping\nwhoami\nretsart\n", "console", "--config", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"ping",                       // help lists it
		"pong — tootops ",            // ping
		"@alice@social.example.coop", // whoami
		`unknown command "retsart"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `"tootops starting"`) {
		t.Errorf("no startup summary in the log:\n%s", errOut)
	}
}

func TestSecondBotOnTheSameStateIsRefused(t *testing.T) {
	path := writeConfig(t, minimalConfig)
	held, err := state.Open(filepath.Join(filepath.Dir(path), "tootops.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errOut := invoke(t, "ping\n", "console", "--config", path)
	if code != 1 || !strings.Contains(errOut, held.Path()) || !strings.Contains(errOut, "in use by another tootops") {
		t.Errorf("exit %d stderr %q; want 1 naming %s", code, errOut, held.Path())
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const token = "TOKEN-5f1c-never-print-me"
	const s3secret = "S3SECRET-9a7e-never-print-me"
	path := writeConfig(t, `
[mastodon]
server = "https://social.example.coop"
access_token = "`+token+`"
[admins]
accounts = ["alice@social.example.coop"]
[compose]
project = "mastodon"
[backup.s3]
bucket = "b"
access_key_id = "AKIA-id"
secret_access_key = "`+s3secret+`"
[log]
level = "trace"
format = "json"
`)
	_, out1, err1 := invoke(t, "", "check", "--offline", "--show-config", "--config", path)
	_, out2, err2 := invoke(t, "help\nping\nwhoami\nnonsense --token "+"x\n", "console", "--config", path)
	all := out1 + err1 + out2 + err2
	if !strings.Contains(out1, "access_token") {
		t.Errorf("--show-config did not print the config:\n%s", out1)
	}
	for _, s := range []string{token, s3secret} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q printed:\n%s", s, all)
		}
	}
}

func TestCommandsReferenceIsCurrent(t *testing.T) {
	code, out, errOut := invoke(t, "", "help", "--markdown")
	if code != 0 {
		t.Fatalf("help --markdown: %d %s", code, errOut)
	}
	const path = "../../docs/commands.md"
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("docs/commands.md is out of date: run `make docs` (or go test ./cmd/bot -update)")
	}
}

// TestSignals runs the real binary: the first SIGTERM shuts down in order with exit 0.
func TestSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bot")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	path := writeConfig(t, `
[mastodon]
server = "https://social.example.coop"
access_token = "t"
`+minimalConfig)
	cmd := exec.Command(bin, "run", "--config", path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var log strings.Builder
	waitFor := func(what string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stderr ended before %q:\n%s", what, log.String())
				}
				log.WriteString(l + "\n")
				if strings.Contains(l, what) {
					return
				}
			case <-timeout:
				_ = cmd.Process.Kill()
				t.Fatalf("no %q within 10s:\n%s", what, log.String())
			}
		}
	}
	waitFor("tootops starting")
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitFor("shutting down")
	for l := range lines {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, log.String())
	}
}
