// Command mastolab stands in for Mastodon and its neighbours in the test lab: one static
// binary, built FROM scratch, that behaves like each Compose service for ops purposes.
//
// It dispatches on the name it was called by, else on its first argument:
//
//	mastolab web                      HTTP on :3000: /health, /api/v2/instance, /, and the
//	                                  files of /opt/mastodon/public (RAILS_SERVE_STATIC_FILES)
//	mastolab streaming                HTTP on :4000: /api/v1/streaming/health
//	mastolab sidekiq                  logs a processed job every LAB_TICK (default 1s)
//	mastolab db                       the database stand-in on :5432: a line protocol that
//	                                  records migrations (see db.go)
//	mastolab db-log | db-fail PHASE   in the db container: the applied migrations; make the
//	                                  next pre or post migration fail (or off)
//	mastolab redis                    TCP stand-in on :6379
//	mastolab postgres [ARG…]          the entrypoint of the real PostgreSQL image: initdb on
//	                                  first start, then exec postgres (ARGs are its own)
//	mastolab tty                      colourful output meant for a TTY (logs tests)
//	mastolab tootctl …                version, media remove, accounts prune, preview_cards
//	                                  remove, cache clear, and lab-exit N / lab-sleep S for tests
//	mastolab rails db:migrate         the version's pending migrations, recorded by the db
//	                                  (db:migrate:status, db:version too; see rails.go)
//	mastolab bundle exec CMD …        CMD (rails, puma = web, sidekiq); node = streaming
//	mastolab health URL               exit 0 when URL answers 200 with OK (healthchecks)
//	mastolab resolve NAME             print the addresses NAME resolves to
//
// The Mastodon version comes from MASTODON_VERSION, which each lab image sets. With
// LAB_UNHEALTHY_VERSIONS (a comma-separated list such as 4.5.1) naming it, web and
// streaming answer 503 on their health paths forever.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := os.Args
	role := filepath.Base(args[0])
	if role == "mastolab" || role == "" {
		if len(args) < 2 {
			fmt.Fprintln(os.Stderr, "usage: mastolab web|streaming|sidekiq|db|db-log|db-fail|redis|postgres|tty|tootctl|rails|bundle|health|resolve …")
			os.Exit(2)
		}
		role, args = args[1], args[1:]
	}
	os.Exit(run(role, args[1:]))
}

func version() string {
	if v := os.Getenv("MASTODON_VERSION"); v != "" {
		return v
	}
	return "4.5.0"
}

func run(role string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return dispatch(ctx, role, args)
}

// dispatch runs a role. Upstream's commands work too: bin/tootctl, bin/rails, `bundle exec
// puma -C config/puma.rb` (web), `bundle exec sidekiq`, `node ./streaming/index.js`.
func dispatch(ctx context.Context, role string, args []string) int {
	switch filepath.Base(role) {
	case "web", "puma":
		return serveHTTP(ctx, "web", envOr("PORT", "3000"), webMux())
	case "streaming", "node":
		return serveHTTP(ctx, "streaming", envOr("PORT", "4000"), streamingMux())
	case "sidekiq":
		return sidekiq(ctx)
	case "bundle":
		if len(args) < 2 || args[0] != "exec" {
			fmt.Fprintf(os.Stderr, "bundle: only `bundle exec CMD` is known to the lab, not %q\n", strings.Join(args, " "))
			return 1
		}
		return dispatch(ctx, args[1], args[2:])
	case "db":
		return dbStandIn(ctx)
	case "db-log":
		return dbLog()
	case "db-fail":
		return dbFail(args)
	case "redis":
		return tcpStandIn(ctx, "6379", "* Ready to accept connections tcp", "received smart shutdown request", func(c net.Conn) {
			answerLines(c, c, func(string) string { return "+PONG\r\n" })
		})
	case "postgres":
		return postgres(ctx, args)
	case "psql":
		return psqlProbe(args)
	case "redis-cli":
		return redisCLIProbe(args)
	case "tty":
		return ttyRole(ctx)
	case "tootctl":
		return tootctl(ctx, args)
	case "rails", "rake":
		return rails(args)
	case "health":
		return health(args)
	case "resolve":
		return resolve(args)
	}
	fmt.Fprintf(os.Stderr, "mastolab: unknown role %q\n", role)
	return 127
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func tick() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("LAB_TICK")); err == nil && d > 0 {
		return d
	}
	return time.Second
}

func logf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "%s "+format+"\n", append([]any{time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}, a...)...)
}

// unhealthy says whether LAB_UNHEALTHY_VERSIONS names this version: then the health paths
// answer 503, as a Mastodon that cannot reach its database does.
func unhealthy() bool {
	for v := range strings.SplitSeq(os.Getenv("LAB_UNHEALTHY_VERSIONS"), ",") {
		if v = strings.TrimPrefix(strings.TrimSpace(v), "v"); v != "" && v == version() {
			return true
		}
	}
	return false
}

func healthHandler(w http.ResponseWriter, _ *http.Request) {
	if unhealthy() {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "OK")
}

// publicDir holds the assets baked into the image (lab/image/stage.sh writes the
// version's packs), served the way Rails does with RAILS_SERVE_STATIC_FILES.
func publicDir() string { return envOr("LAB_PUBLIC_DIR", "/opt/mastodon/public") }

// packs reads the version's packs/manifest.json.
func packs() map[string]string {
	m := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(publicDir(), "packs", "manifest.json")); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

func webMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", healthHandler)
	mux.HandleFunc("/api/v2/instance", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"domain":       envOr("LOCAL_DOMAIN", "lab.example"),
			"title":        "Mastodon lab",
			"version":      version(),
			"source_url":   "https://github.com/mastodon/mastodon",
			"api_versions": map[string]int{"mastodon": 6},
		})
	})
	static := http.FileServer(http.Dir(publicDir()))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			fi, err := os.Stat(filepath.Join(publicDir(), filepath.FromSlash(filepath.Clean("/"+r.URL.Path))))
			if err != nil || fi.IsDir() {
				http.NotFound(w, r)
				return
			}
			static.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!doctype html><title>Mastodon lab %s</title>\n", version())
		if js := packs()["application.js"]; js != "" {
			fmt.Fprintf(w, "<script src=\"%s\" crossorigin=\"anonymous\" type=\"module\"></script>\n", js)
		}
		if css := packs()["application.css"]; css != "" {
			fmt.Fprintf(w, "<link rel=\"stylesheet\" href=\"%s\">\n", css)
		}
	})
	return mux
}

// streamingMux serves what upstream's streaming server serves without authentication:
// /api/v1/streaming/health (it has no /health).
func streamingMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/streaming/health", healthHandler)
	return mux
}

func serveHTTP(ctx context.Context, name, port string, mux *http.ServeMux) int {
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		mux.ServeHTTP(w, r)
		if r.URL.Path != "/health" && r.URL.Path != "/api/v1/streaming/health" {
			logf(os.Stdout, "method=%s path=%s status=200 duration=%.2f", r.Method, r.URL.Path, float64(time.Since(start).Microseconds())/1000)
		}
	})
	srv := &http.Server{Addr: ":" + port, Handler: logged, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	if name == "web" {
		logf(os.Stdout, "[1] Puma starting in cluster mode... Version: 6.6.0, Mastodon %s", version())
		logf(os.Stdout, "[1] * Listening on http://0.0.0.0:%s", port)
	} else {
		logf(os.Stdout, "Streaming API now listening on 0.0.0.0:%s (Mastodon %s)", port, version())
	}
	go func() {
		<-ctx.Done()
		logf(os.Stdout, "[1] - Gracefully stopping, waiting for requests to finish")
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	logf(os.Stdout, "[1] === puma shutdown ===")
	return 0
}

func sidekiq(ctx context.Context) int {
	logf(os.Stdout, "INFO: Booted Rails 7.1 application in production environment (Mastodon %s)", version())
	logf(os.Stdout, "INFO: Running in ruby 3.4.1, Sidekiq 7.3")
	hostname, _ := os.Hostname()
	t := time.NewTicker(tick())
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			logf(os.Stdout, "INFO: Shutting down")
			logf(os.Stdout, "INFO: Bye!")
			return 0
		case <-t.C:
			logf(os.Stdout, "INFO: pid=%s jid=%08x class=ActivityPub::DeliveryWorker done: job %d", hostname, n*7919, n)
			if n%5 == 0 {
				logf(os.Stderr, "WARN: pid=%s class=LinkCrawlWorker retry: job %d timed out", hostname, n)
			}
		}
	}
}

// tcpStandIn listens on port like a database server, logs ready and, at the end, stopped,
// and hands each connection to serve.
func tcpStandIn(ctx context.Context, port, ready, stopped string, serve func(net.Conn)) int {
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logf(os.Stdout, "%s", ready)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				logf(os.Stdout, "%s", stopped)
				return 0
			}
			continue
		}
		go func() {
			defer c.Close()
			serve(c)
		}()
	}
}

// answerLines answers each line read from r with answer(line), written to w.
func answerLines(r io.Reader, w io.Writer, answer func(string) string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if _, err := io.WriteString(w, answer(sc.Text())); err != nil {
			return
		}
	}
}

// ttyRole writes the way programs write to a terminal: colours, CRLF line ends, and a
// progress line rewritten with carriage returns.
func ttyRole(ctx context.Context) int {
	fmt.Printf("\x1b[1m\x1b[32mready\x1b[0m tty service (Mastodon %s)\r\n", version())
	for i := 0; i <= 4; i++ {
		fmt.Printf("\rprogress %d/4", i)
	}
	fmt.Print("\r\n")
	t := time.NewTicker(tick())
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			fmt.Print("\x1b[33mbye\x1b[0m\r\n")
			return 0
		case <-t.C:
			fmt.Printf("\x1b[36mtick\x1b[0m %d \x1b[31mred\x1b[0m\r\n", n)
		}
	}
}

func tootctl(ctx context.Context, args []string) int {
	cmd := strings.Join(args, " ")
	switch {
	case len(args) == 0:
		fmt.Println("Commands:\n  tootctl accounts SUBCOMMAND ...ARGS\n  tootctl media SUBCOMMAND ...ARGS\n  tootctl version")
		return 0
	case cmd == "version" || cmd == "--version" || cmd == "-v":
		fmt.Println(version())
		return 0
	case strings.HasPrefix(cmd, "media remove"):
		return mediaRemove(ctx, args[2:])
	case strings.HasPrefix(cmd, "accounts prune"):
		fmt.Println("Progress: |" + strings.Repeat("=", 40) + "|")
		fmt.Println("OK, pruned 3 accounts" + dryRun(args))
		return 0
	case strings.HasPrefix(cmd, "preview_cards remove"):
		fmt.Println("Removed 40 preview cards (approx. 12.5 MB)" + dryRun(args))
		return 0
	case cmd == "cache clear":
		fmt.Println("OK")
		return 0
	case len(args) == 2 && args[0] == "lab-exit":
		// lab-exit N: some output on both streams, then exit status N.
		n, _ := strconv.Atoi(args[1])
		fmt.Println("lab: output on stdout")
		fmt.Fprintln(os.Stderr, "lab: output on stderr")
		fmt.Printf("lab: exiting with %d\n", n)
		return n
	case len(args) == 2 && args[0] == "lab-sleep":
		d, _ := time.ParseDuration(args[1])
		fmt.Println("lab: sleeping", d)
		select {
		case <-time.After(d):
			fmt.Println("lab: woke up")
			return 0
		case <-ctx.Done():
			fmt.Println("lab: interrupted")
			return 130
		}
	}
	fmt.Fprintf(os.Stderr, "Could not find command %q.\n", cmd)
	return 1
}

func dryRun(args []string) string {
	if slices.Contains(args, "--dry-run") {
		return " (DRY RUN)"
	}
	return ""
}

// mediaRemove prints what `tootctl media remove` prints without a TTY: a progress bar, an
// error line, and the green summary. The numbers follow from --days, so tests know them.
func mediaRemove(ctx context.Context, args []string) int {
	days := 7
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--days" && i+1 < len(args):
			i++
			a = "--days=" + args[i]
			fallthrough
		case strings.HasPrefix(a, "--days="):
			n, err := strconv.Atoi(strings.TrimPrefix(a, "--days="))
			if err != nil {
				fmt.Fprintf(os.Stderr, "Expected numeric value for '--days'; got %q\n", strings.TrimPrefix(a, "--days="))
				return 1
			}
			days = n
		case a == "--dry-run", a == "--prune-profiles", a == "--remove-headers", a == "--include-follows", a == "--verbose":
		case a == "--concurrency" && i+1 < len(args):
			i++
		case strings.HasPrefix(a, "--concurrency="):
		default:
			fmt.Fprintf(os.Stderr, "ERROR: \"tootctl media remove\" was called with arguments %q\n", args)
			return 1
		}
	}
	removed := 0
	if days > 0 {
		removed = 84 / days
	}
	fmt.Print("Progress: |")
	for i := 0; i < 20; i++ {
		select {
		case <-ctx.Done():
			fmt.Println()
			return 130
		case <-time.After(10 * time.Millisecond):
		}
		fmt.Print("==")
	}
	fmt.Println("|")
	if removed > 3 {
		fmt.Println("Error processing 109876543210: Seahorse::Client::NetworkingError")
	}
	fmt.Printf("Removed %d media attachments (approx. %s)%s\n", removed, humanSize(int64(removed)*100<<20), dryRun(args))
	return 0
}

// humanSize formats bytes like Rails' number_to_human_size.
func humanSize(n int64) string {
	units := []string{"Bytes", "KB", "MB", "GB", "TB"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d Bytes", n)
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[u]
}

func health(args []string) int {
	url := "http://127.0.0.1:3000/health"
	if len(args) > 0 {
		url = args[0]
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != 200 || !strings.Contains(string(body), "OK") {
		fmt.Fprintf(os.Stderr, "unhealthy: %d %q\n", resp.StatusCode, body)
		return 1
	}
	return 0
}

func resolve(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: mastolab resolve NAME")
		return 2
	}
	addrs, err := net.LookupHost(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		fmt.Println(a)
	}
	return 0
}

// postgres is the entrypoint of tootops-lab/postgres:15: it initialises $PGDATA (default
// /var/lib/postgresql/data) when it holds no cluster yet, superuser postgres, trust from
// anywhere since this is a lab, then replaces itself with postgres, so that Docker's
// signals reach the server. Started as root (docker run --user 0, a root-owned bind
// mount), it hands the directories to the postgres user and drops to it first: postgres
// refuses to run as root.
func postgres(ctx context.Context, args []string) int {
	data := envOr("PGDATA", "/var/lib/postgresql/data")
	if err := dropRoot(data); err != nil {
		fmt.Fprintf(os.Stderr, "mastolab postgres: %v\n", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := initdb(ctx, data); err != nil {
			fmt.Fprintf(os.Stderr, "mastolab postgres: %v\n", err)
			return 1
		}
	} else if err != nil {
		fmt.Fprintf(os.Stderr, "mastolab postgres: %v\n", err)
		return 1
	}
	bin, err := exec.LookPath("postgres")
	if err != nil {
		fmt.Fprintf(os.Stderr, "mastolab postgres: %v\n", err)
		return 1
	}
	argv := append([]string{"postgres", "-D", data, "-c", "listen_addresses=*"}, args...)
	err = syscall.Exec(bin, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "mastolab postgres: exec %s: %v\n", bin, err)
	return 1
}

// initdb makes the cluster, without syncing it to disk (a lab); a stop signal kills it.
func initdb(ctx context.Context, data string) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	// Clients in other containers of the project (the bot, pg_dump from elsewhere).
	f, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, "\n# tootops lab: trust from the container networks\nhost all all all trust\n")
	return errors.Join(err, f.Close())
}

func dropRoot(data string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, dir := range []string{data, "/var/run/postgresql"} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return os.Setenv("HOME", u.HomeDir)
}

// psqlProbe answers the one question the upgrade asks the db stand-in's psql, SHOW
// server_version, with the version the stand-in plays (LAB_PG_VERSION, default 14.13).
func psqlProbe(args []string) int {
	if !strings.Contains(strings.Join(args, " "), "server_version") {
		fmt.Fprintln(os.Stderr, "psql: the lab's psql only answers SHOW server_version")
		return 2
	}
	fmt.Println(envOr("LAB_PG_VERSION", "14.13"))
	return 0
}

// redisCLIProbe answers `redis-cli INFO server` like Redis does, with LAB_REDIS_VERSION
// (default 7.2.4).
func redisCLIProbe(args []string) int {
	if len(args) == 0 || !strings.EqualFold(args[0], "info") {
		fmt.Fprintln(os.Stderr, "redis-cli: the lab's redis-cli only answers INFO server")
		return 2
	}
	fmt.Printf("# Server\r\nredis_version:%s\r\nredis_mode:standalone\r\nos:Linux\r\n", envOr("LAB_REDIS_VERSION", "7.2.4"))
	return 0
}
