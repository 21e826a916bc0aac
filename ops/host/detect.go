package host

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// Why systemd cannot be read from here. The commands turn them into a plain sentence.
var (
	// ErrContainer: the bot runs in a container, which does not see the host's systemd.
	ErrContainer = errors.New("the bot runs in a container")
	// ErrNoSystemd: the machine runs another init, or none.
	ErrNoSystemd = errors.New("this machine does not run systemd")
)

// cgroupHints are what container managers leave in the cgroup path of PID 1 (cgroup v1,
// or v2 seen from the host's namespace).
var cgroupHints = []string{"/docker", "/kubepods", "/containerd", "/libpod", "/lxc", "/machine.slice/"}

// Detect says whether systemd runs the machine whose root directory is root ("/" for
// the real one), the way sd_booted(3) does: /run/systemd/system is a directory. It then
// returns nil, even in a container: one that runs systemd itself, or is given the host's
// /run/systemd, sees that systemd.
//
// Otherwise it returns ErrContainer when there are signs of a container: /.dockerenv
// (Docker), /run/.containerenv (Podman), the container= environment variable (which
// systemd-nspawn, Podman and LXC set; getenv reads it) or a container manager in
// /proc/1/cgroup; else ErrNoSystemd.
func Detect(root string, getenv func(string) string) error {
	if root == "" {
		root = "/"
	}
	at := func(p string) string { return filepath.Join(root, p) }
	if fi, err := os.Stat(at("run/systemd/system")); err == nil && fi.IsDir() {
		return nil
	}
	for _, p := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := os.Stat(at(p)); err == nil {
			return ErrContainer
		}
	}
	if getenv != nil && getenv("container") != "" {
		return ErrContainer
	}
	if b, err := os.ReadFile(at("proc/1/cgroup")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			// hierarchy-ID:controllers:path
			if _, path, ok := cut2(line); ok {
				for _, h := range cgroupHints {
					if strings.Contains(path, h) {
						return ErrContainer
					}
				}
			}
		}
	}
	return ErrNoSystemd
}

// cut2 splits "id:controllers:path" and returns the controllers and the path.
func cut2(line string) (string, string, bool) {
	_, rest, ok := strings.Cut(line, ":")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}
