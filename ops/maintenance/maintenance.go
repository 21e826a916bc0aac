// Package maintenance turns Mastodon's maintenance page on and off through a flag file
// that nginx checks on every request (`if (-f FILE) { return 503; }`): creating or
// removing the file takes effect at once, with no reload.
package maintenance

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
)

// Flag is the flag file.
type Flag struct {
	Path string
	Now  func() time.Time
}

// State is what the flag file says.
type State struct {
	On     bool
	Since  time.Time // when it was turned on (the file's time)
	Reason string    // what the file says
}

func (f Flag) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f Flag) configured() error {
	if f.Path == "" {
		return &ops.Error{Msg: "maintenance mode is not configured", Hint: "set [maintenance] file to the flag file your nginx checks (docs/maintenance.md)"}
	}
	return nil
}

// On creates the flag file with reason in it. It reports whether maintenance was off.
// The file is written under a temporary name and renamed, so nginx never sees it half
// written, and its directory must exist: a typo in the path must not go unnoticed.
func (f Flag) On(reason string) (bool, error) {
	if err := f.configured(); err != nil {
		return false, err
	}
	st, err := f.Status()
	if err != nil {
		return false, err
	}
	if st.On {
		return false, nil
	}
	text := fmt.Sprintf("maintenance since %s: %s\n", f.now().UTC().Format(time.RFC3339), strings.TrimSpace(reason))
	tmp := filepath.Join(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return false, fileError("cannot turn maintenance on", err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		os.Remove(tmp)
		return false, fileError("cannot turn maintenance on", err)
	}
	return true, nil
}

// Off removes the flag file. It reports whether maintenance was on.
func (f Flag) Off() (bool, error) {
	if err := f.configured(); err != nil {
		return false, err
	}
	err := os.Remove(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fileError("cannot turn maintenance off", err)
	}
	return true, nil
}

// Status reads the flag file.
func (f Flag) Status() (State, error) {
	if err := f.configured(); err != nil {
		return State{}, err
	}
	fi, err := os.Stat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, derr := os.Stat(filepath.Dir(f.Path)); derr != nil {
			return State{}, fileError("the directory of [maintenance] file is missing", derr)
		}
		return State{}, nil
	case err != nil:
		return State{}, fileError("cannot read the maintenance flag", err)
	}
	st := State{On: true, Since: fi.ModTime()}
	if data, err := os.ReadFile(f.Path); err == nil {
		st.Reason = strings.TrimSpace(string(data))
	}
	return st, nil
}

func fileError(msg string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &ops.Error{Msg: fmt.Sprintf("%s: %s %s", msg, pe.Path, pe.Err), Hint: "check [maintenance] file and that the bot may write its directory", Err: err}
	}
	return &ops.Error{Msg: msg + ": " + err.Error(), Err: err}
}
