package ops_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tootops/tootops/ops"
)

func TestReplaceFileKeepsModeAndOwner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 { // as root, an owner other than the process's must survive
		uid, gid = 1234, 2345
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	old := syscall.Umask(0o077) // the systemd unit's UMask
	defer syscall.Umask(old)

	if err := ops.ReplaceFile(path, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new\n" {
		t.Fatalf("content %q, %v; want %q", got, err, "new\n")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o664 {
		t.Errorf("mode %v, want -rw-rw-r--", fi.Mode().Perm())
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary file left)", len(entries))
	}
}

func TestReplaceFileFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "compose.prod.yml")
	link := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(real, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("compose.prod.yml", link); err != nil {
		t.Fatal(err)
	}
	if err := ops.ReplaceFile(link, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link is no longer a link: %v, %v", fi.Mode(), err)
	}
	if got, _ := os.ReadFile(real); string(got) != "new\n" {
		t.Errorf("target holds %q, want %q", got, "new\n")
	}
}

func TestReplaceFileMissing(t *testing.T) {
	dir := t.TempDir()
	if err := ops.ReplaceFile(filepath.Join(dir, "nope.yml"), []byte("x")); !os.IsNotExist(err) {
		t.Errorf("ReplaceFile of a missing file = %v, want a not-exist error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left behind", len(entries))
	}
}

// TestReplaceFileAsAnotherUser replaces a file owned by someone else from a process that
// may not chown (the bot's own user under systemd): the file becomes that user's, keeps
// its mode, and keeps its group because the user is in it. The test re-runs itself as
// nobody, which needs root to set up.
func TestReplaceFileAsAnotherUser(t *testing.T) {
	if path := os.Getenv("TOOTOPS_REPLACE_AS_CHILD"); path != "" {
		if err := ops.ReplaceFile(path, []byte("new\n")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		t.Fatal("this test runs itself as another user and needs root (CI and make test run as root)")
	}
	const nobody, group = 65534, 4321
	dir := t.TempDir()
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 1234, group); err != nil {
		t.Fatal(err)
	}
	// The test binary sits in a directory only root may enter: nobody runs a copy.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(filepath.Dir(dir), "ops.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestReplaceFileAsAnotherUser$")
	cmd.Env = append(os.Environ(), "TOOTOPS_REPLACE_AS_CHILD="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{group}}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ReplaceFile as uid %d: %v\n%s", nobody, err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != nobody || st.Gid != group || fi.Mode().Perm() != 0o664 {
		t.Errorf("after: %d:%d %v; want %d:%d -rw-rw-r--", st.Uid, st.Gid, fi.Mode().Perm(), nobody, group)
	}
	if got, _ := os.ReadFile(path); string(got) != "new\n" {
		t.Errorf("content %q", got)
	}
}
