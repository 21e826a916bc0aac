package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/release"
)

// The lines of `bot check` for what the bot touches besides Mastodon, Docker and the
// backup: the files it writes, the port it listens on, the hosts whose certificates it
// watches and GitHub's release list.

// checkMaintenance is the maintenance line: the bot turns maintenance on by creating the
// flag file, so its directory must take a new file. The file itself is left alone.
func checkMaintenance(file string) (string, error) {
	dir := filepath.Dir(file)
	if problem := probeDir(dir); problem != "" {
		return "", &ops.Error{Msg: problem, Hint: "the bot turns maintenance on by creating [maintenance] file: its directory must exist and be writable by the bot's user (mounted read-write in a container)"}
	}
	state := "off (" + filepath.Base(file) + " absent)"
	if _, err := os.Lstat(file); err == nil {
		state = "ON (" + filepath.Base(file) + " exists)"
	}
	return dir + " writable; maintenance is " + state, nil
}

// checkCompose is the compose dir line: the guided upgrade rewrites the compose file by
// writing a new one beside it, so the file must be readable and its directory writable;
// and the new image's assets are copied into [upgrade] assets_dir.
func checkCompose(dir, assets string) (string, error) {
	var done []string
	if dir != "" {
		d, err := checkComposeFile(dir)
		if err != nil {
			return "", err
		}
		done = append(done, d)
	}
	if assets != "" {
		if problem := probeDir(assets); problem != "" {
			return "", &ops.Error{Msg: "assets_dir: " + problem, Hint: "the upgrade copies the new image's public/ into [upgrade] assets_dir for nginx: create it, writable by the bot's user"}
		}
		done = append(done, "assets_dir "+assets+" writable")
	}
	return strings.Join(done, "; "), nil
}

// composeNames are the files `docker compose` looks for in a project directory, in its
// order.
var composeNames = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

func checkComposeFile(dir string) (string, error) {
	const hint = "the bot must see the project directory at the path the Docker host uses ([compose] directory), mounted read-write: the upgrade rewrites the compose file there"
	if problem := probeDir(dir); problem != "" {
		return "", &ops.Error{Msg: problem, Hint: hint}
	}
	var file string
	for _, n := range composeNames {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			file = filepath.Join(dir, n)
			break
		}
	}
	if file == "" {
		return "", &ops.Error{Msg: "no compose file in " + dir + " (looked for " + strings.Join(composeNames, ", ") + ")", Hint: hint}
	}
	if _, err := os.ReadFile(file); err != nil {
		return "", &ops.Error{Msg: "cannot read " + file + ": " + pathReason(err), Hint: hint}
	}
	// A symbolic link is followed: the new file is written beside its target.
	target, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", &ops.Error{Msg: "cannot follow " + file + ": " + pathReason(err), Hint: hint}
	}
	if d := filepath.Dir(target); d != dir {
		if problem := probeDir(d); problem != "" {
			return "", &ops.Error{Msg: problem + " (" + file + " links there)", Hint: hint}
		}
	}
	return filepath.Base(file) + " readable, directory writable", nil
}

// probeDir says what keeps this process from creating files in dir, by creating and
// removing one; "" when nothing does.
func probeDir(dir string) string {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return missingDir(dir)
	case !fi.IsDir():
		return dir + " is a file, not a directory"
	}
	f, err := os.CreateTemp(dir, ".tootops-check-*")
	if err != nil {
		return dir + " is not writable: " + pathReason(err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return "cannot remove a file from " + dir + ": " + pathReason(err)
	}
	return ""
}

// missingDir says why dir cannot be found: it does not exist, or one of its parents is
// a file.
func missingDir(dir string) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			if !fi.IsDir() {
				return dir + " does not exist (" + p + " is a file)"
			}
			return dir + " does not exist"
		}
		if p == filepath.Dir(p) {
			return dir + " does not exist"
		}
	}
}

// pathReason is a file system error without the path it repeats.
func pathReason(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("permission denied to uid %d", os.Geteuid())
	case errors.Is(err, syscall.EROFS):
		return "read-only file system"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// healthzTimeout bounds the GET of /healthz on a port found in use.
const healthzTimeout = 3 * time.Second

// checkListen is the http line: [http] listen can be bound; or it is taken by something
// that answers /healthz, most likely the bot itself.
func checkListen(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return "free: /healthz and /metrics can listen there", nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		if status, ok := healthzAnswers(ctx, addr); ok {
			return "in use (by a running bot?): GET /healthz answered " + status, nil
		}
		return "", &ops.Error{Msg: "in use, and GET /healthz there gets no answer", Hint: "another program holds the port: stop it, or set [http] listen to a free address"}
	case errors.Is(err, syscall.EACCES):
		return "", &ops.Error{Msg: "permission denied", Hint: "ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port such as 9102"}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "", &ops.Error{Msg: "this host has no such address", Hint: "set [http] listen to an address of this host, such as 127.0.0.1:9102"}
	}
	if cause, hint, ok := ops.NetCause(err); ok {
		return "", &ops.Error{Msg: cause, Hint: hint, Err: err}
	}
	return "", &ops.Error{Msg: "cannot listen: " + pathReason(err), Hint: `set [http] listen to host:port such as "127.0.0.1:9102", or "" to turn it off`, Err: err}
}

// healthzAnswers GETs /healthz at addr (loopback for an unspecified host) and returns
// the status line of the answer.
func healthzAnswers(ctx context.Context, addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, healthzTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return "", false
	}
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true}, // no proxy: the port is on this host
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return resp.Status, true
}

// checkCerts is the certs line: every host of [certs] presents a trusted certificate
// with more than warn_days left. It says how many and which expires first.
func checkCerts(ctx context.Context, c *config.Certs) (string, error) {
	roots, err := certs.Roots(c.CAFile)
	if err != nil {
		return "", &ops.Error{Msg: strings.TrimPrefix(err.Error(), "certs: "), Hint: "[certs] ca_file must be a readable PEM file", Err: err}
	}
	results := certs.CheckAll(ctx, c.Hosts, certs.Options{Roots: roots, WarnDays: c.WarnDays})
	var (
		problems []string
		hint     string
		soonest  *certs.Result
	)
	for i, r := range results {
		if r.Problem != "" {
			problems = append(problems, r.Host+": "+r.Problem)
			if hint == "" {
				hint = certHint(r)
			}
		}
		if !r.NotAfter.IsZero() && (soonest == nil || r.NotAfter.Before(soonest.NotAfter)) {
			soonest = &results[i]
		}
	}
	if len(problems) > 0 {
		return "", &ops.Error{Msg: fmt.Sprintf("%d of %s: %s", len(problems), hosts(len(results)), strings.Join(problems, "; ")), Hint: hint}
	}
	return fmt.Sprintf("%s, soonest expiry %s in %d days (%s, %s)", hosts(len(results)), soonest.Host, soonest.DaysLeft,
		soonest.NotAfter.UTC().Format(time.DateOnly), soonest.Issuer), nil
}

func hosts(n int) string {
	if n == 1 {
		return "1 host"
	}
	return fmt.Sprintf("%d hosts", n)
}

// certHint is what to do about a certificate problem.
func certHint(r certs.Result) string {
	switch {
	case strings.HasPrefix(r.Problem, "cannot connect"):
		return "is the host up and reachable from the bot's host? [certs] hosts takes host or host:port"
	case strings.Contains(r.Problem, "unknown authority"):
		return "the server must send its whole chain; for a private CA, set [certs] ca_file"
	case strings.HasPrefix(r.Problem, "not valid for"):
		return "reissue the certificate with this host's name"
	}
	return "renew the certificate: is the renewal (certbot's timer) running?"
}

// checkReleases is the github releases line: the list the upgrade commands read can be
// fetched, with the token if one is set. The token never appears: the client redacts
// it from its errors, and the line names only where it came from.
func checkReleases(ctx context.Context, u config.Upgrade) (string, error) {
	res, err := releaseClient(u, nil).Fetch(ctx)
	if err != nil {
		return "", releasesError(err, u)
	}
	latest := "no release"
	if stable := release.Stable(res.Releases); len(stable) > 0 {
		latest = "latest " + stable[0].Tag
	} else if len(res.Releases) > 0 {
		latest = "no stable release; newest " + res.Releases[0].Tag
	}
	detail := fmt.Sprintf("%s (%d releases)", latest, len(res.Releases))
	if rl := res.RateLimit; rl.Known {
		detail += fmt.Sprintf(", rate limit %d/%d left", rl.Remaining, rl.Limit)
	}
	if u.GitHubToken.IsSet() {
		return detail + ", token from " + u.GitHubToken.Source(), nil
	}
	return detail + ", no token", nil
}

// releasesError adds to the client's safe text a hint, and the cause of a request that
// got no answer.
func releasesError(err error, u config.Upgrade) error {
	msg := ops.SafeText(err)
	hint := "the bot's log has the details"
	token := "set [upgrade] github_token_file to a token (it needs no scope) for 5,000 requests an hour"
	if u.GitHubToken.IsSet() {
		token = "the token comes from " + u.GitHubToken.Source()
	}
	switch {
	case errors.Is(err, release.ErrRateLimited):
		hint = "wait for the reset; " + token
	case strings.HasPrefix(msg, "GitHub answered 401 "):
		hint = "the GitHub token is wrong, expired or revoked: make a new one, or remove it (60 requests an hour without); " + token
	case strings.HasPrefix(msg, "GitHub answered 403 "):
		hint = "GitHub refused the token: a fine-grained token must be allowed to read public repositories; " + token
	case strings.HasPrefix(msg, "GitHub answered 404 "), strings.Contains(msg, "not the JSON expected"), strings.Contains(msg, "not an absolute URL"):
		hint = "[upgrade] releases_url must be GitHub's releases API of Mastodon, " + release.DefaultURL
	case strings.HasPrefix(msg, "cannot reach GitHub"):
		if cause, h, ok := ops.NetCause(err); ok {
			msg += ": " + cause
			hint = h + "; a proxy is taken from HTTPS_PROXY"
		}
	}
	if t := u.GitHubToken.Reveal(); t != "" {
		msg = strings.ReplaceAll(msg, t, "[REDACTED]") // the client redacts already; twice is cheap
	}
	return &ops.Error{Msg: msg, Hint: hint, Err: err}
}
