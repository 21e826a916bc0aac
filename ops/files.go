package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ReplaceFile replaces the file at path with data so that, whatever happens, the file
// holds either the old bytes or the new ones: it writes a temporary file beside it,
// syncs it, renames it over the old one and syncs the directory. The new file keeps the
// old one's permissions (whatever the process's umask) and, where the process may set
// it, its owner and group; so an admin's docker-compose.yml stays theirs after the bot
// edits it. A symbolic link is followed: its target is replaced, the link stays.
func ReplaceFile(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tootops-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	// Chmod is not subject to the umask, unlike the mode given at creation.
	if err := f.Chmod(fi.Mode().Perm()); err != nil {
		return fail(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if err := f.Chown(int(st.Uid), int(st.Gid)); os.IsPermission(err) {
			// Not root: the bot's user owns the new file; the group can stay when the
			// user is in it.
			_ = f.Chown(-1, int(st.Gid))
		} else if err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("syncing %s: %w", filepath.Dir(target), err)
		}
	}
	return nil
}
