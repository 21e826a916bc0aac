package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tootops/tootops/config"
)

// usageError is a mistake on the command line; hint says what is accepted.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

// configError is a config that cannot be used; its problems are printed key by key.
type configError struct {
	path string
	err  error
}

func (e *configError) Error() string {
	var problems config.Problems
	if errors.As(e.err, &problems) {
		noun := "problems"
		if len(problems) == 1 {
			noun = "problem"
		}
		return fmt.Sprintf("bot: config %s: %d %s\n%s", e.path, len(problems), noun, indent(problems.Error()))
	}
	return fmt.Sprintf("bot: config %s: %v", e.path, e.err)
}

func (e *configError) Unwrap() error { return e.err }

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

const usageText = `usage: bot [--config FILE] COMMAND [flags]

Commands:
  run       run the bot: answer the admins' direct messages on Mastodon
  console   talk to the bot from this terminal, as an admin (--as user@domain)
  check     validate the config and reach every dependency (--offline: the config only)
  version   print the version
  healthcheck
            exit 0 when the running bot's /healthz answers 200 (--url URL; the image's HEALTHCHECK)
  help      this text; "help COMMAND" explains a chat command; "help --markdown" prints the reference

The config is --config FILE, else $TOOTOPS_CONFIG, else ./config.toml.
Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.`

// subcommand is one verb of the bot binary.
type subcommand struct {
	flags func(fs *flag.FlagSet, e *env)
	run   func(ctx context.Context, env *env) error
}

// env is what every subcommand gets: its arguments and the process's streams.
type env struct {
	configPath string
	args       []string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer

	// Subcommand flags, set by the flag functions below.
	as         string
	offline    bool
	showConfig bool
	markdown   bool
}

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	global := flag.NewFlagSet("bot", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	global.StringVar(&e.configPath, "config", "", "config file")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usageText)
			return nil
		}
		return &usageError{msg: err.Error(), hint: usageText}
	}
	rest := global.Args()
	if len(rest) == 0 {
		return &usageError{msg: "no command given", hint: usageText}
	}
	name, rest := rest[0], rest[1:]
	subs := subcommands()
	sub, ok := subs[name]
	if !ok {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: usageText}
	}
	fs := flag.NewFlagSet("bot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.configPath, "config", e.configPath, "config file (default $TOOTOPS_CONFIG, then ./config.toml)")
	if sub.flags != nil {
		sub.flags(fs, e)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, flagUsage(fs))
			return nil
		}
		return &usageError{msg: err.Error(), hint: flagUsage(fs)}
	}
	e.args = fs.Args()
	if name != "help" && len(e.args) > 0 {
		return &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", name, e.args[0]), hint: flagUsage(fs)}
	}
	return sub.run(ctx, e)
}

func flagUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s [flags]\n", fs.Name())
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return strings.TrimRight(b.String(), "\n")
}

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"run": {run: runDaemon},
		"console": {
			flags: func(fs *flag.FlagSet, e *env) {
				fs.StringVar(&e.as, "as", "", "act as this admin, user@domain (default: the first of [admins] accounts)")
			},
			run: runConsole,
		},
		"check": {
			flags: func(fs *flag.FlagSet, e *env) {
				fs.BoolVar(&e.offline, "offline", false, "validate the config only; reach nothing over the network")
				fs.BoolVar(&e.showConfig, "show-config", false, "print the effective config, secrets masked")
			},
			run: runCheck,
		},
		"version": {run: func(_ context.Context, e *env) error {
			_, err := fmt.Fprintln(e.stdout, "tootops", versionString())
			return err
		}},
		"healthcheck": healthcheckCommand(),
		"help": {
			flags: func(fs *flag.FlagSet, e *env) {
				fs.BoolVar(&e.markdown, "markdown", false, "print the commands reference as Markdown (docs/commands.md)")
			},
			run: runHelp,
		},
	}
}

// resolveConfigPath applies the precedence: flag, then $TOOTOPS_CONFIG, then ./config.toml.
func resolveConfigPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := os.Getenv("TOOTOPS_CONFIG"); p != "" {
		return p
	}
	return "config.toml"
}

// loadConfig loads and validates the config named by the flag or the environment.
func loadConfig(e *env) (*config.Config, error) {
	path := resolveConfigPath(e.configPath)
	cfg, err := config.Load(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &configError{path: path, err: errors.New("no such file; give --config FILE or set TOOTOPS_CONFIG (config.example.toml documents every key)")}
		}
		return nil, &configError{path: path, err: err}
	}
	return cfg, nil
}
