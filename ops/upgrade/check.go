package upgrade

import (
	"context"
	"fmt"
	"strings"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/state"
)

// Check is what `upgrade check` found.
type Check struct {
	Running release.Version
	Newest  release.Release // zero when running is the newest
	Urgent  []release.Release
	Hops    []release.Hop
	PathErr error
}

// Check compares the running version with the releases: the newest, the security
// releases above it, and the path of hops to the newest with what each hop's notes say.
func (u *Upgrader) Check(ctx context.Context) (*Check, error) {
	vs, err := u.Versions(ctx)
	if err != nil {
		return nil, err
	}
	running, err := release.ParseVersion(vs.Image)
	if err != nil {
		return nil, &ops.Error{Msg: "the web image's tag " + vs.ImageRef + " is not a version", Hint: "pin an exact tag such as v4.5.1 in docker-compose.yml"}
	}
	all, err := u.o.Releases.Releases(ctx)
	if err != nil {
		return nil, err
	}
	c := &Check{Running: running.Core()}
	c.Newest, c.Urgent = release.CheckUpdates(c.Running, all)
	if !c.Newest.Version.IsZero() {
		c.Hops, c.PathErr = release.Path(all, c.Running, c.Newest.Version)
	}
	return c, nil
}

// Text is the check for a reply.
func (c *Check) Text() string {
	if c.Newest.Version.IsZero() {
		return fmt.Sprintf("Mastodon %s is the newest stable release", c.Running)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "running %s; newest %s", c.Running, c.Newest.Version)
	if !c.Newest.Published.IsZero() {
		fmt.Fprintf(&b, " (%s)", c.Newest.Published.UTC().Format("2006-01-02"))
	}
	for _, r := range c.Urgent {
		fmt.Fprintf(&b, "\nSECURITY: %s fixes security issues — %s", r.Version, r.URL)
	}
	if c.PathErr != nil {
		fmt.Fprintf(&b, "\npath: %s", ops.SafeText(c.PathErr))
		return b.String()
	}
	var vs []string
	for _, h := range c.Hops {
		vs = append(vs, h.Release.Version.String())
	}
	fmt.Fprintf(&b, "\npath: %s", strings.Join(vs, " → "))
	for _, h := range c.Hops {
		n := h.Notes
		var what []string
		for _, m := range n.Markers {
			what = append(what, m)
		}
		if len(n.Tootctl) > 0 {
			what = append(what, "tootctl: "+strings.Join(n.Tootctl, "; "))
		}
		if len(n.Env) > 0 {
			what = append(what, "needs "+strings.Join(n.Env, ", "))
		}
		if n.Hotfix != "" {
			what = append(what, "the notes advise "+n.Hotfix+" instead")
		}
		if len(what) == 0 {
			what = append(what, "restart only")
		}
		fmt.Fprintf(&b, "\n· %s: %s", h.Release.Version, strings.Join(what, "; "))
	}
	fmt.Fprintf(&b, "\nnext: `upgrade plan %s`", c.Newest.Version)
	return b.String()
}

// toldKey remembers the newest release the admins were told about.
var toldKey = []byte("upgrade.told")

// News is the check's text when it names a release the admins have not been told
// about (or a security release), and "" otherwise; it remembers what it told.
func (u *Upgrader) News(c *Check) (string, error) {
	if c.Newest.Version.IsZero() {
		return "", nil
	}
	var told string
	err := u.o.Store.Update(func(tx *state.Tx) error {
		if _, err := tx.Get(state.Meta, toldKey, &told); err != nil {
			return err
		}
		return tx.Put(state.Meta, toldKey, c.Newest.Version.String())
	})
	if err != nil {
		return "", err
	}
	if told == c.Newest.Version.String() {
		return "", nil
	}
	prefix := "New Mastodon release: "
	if len(c.Urgent) > 0 {
		prefix = "URGENT — security release: "
	}
	return prefix + c.Text(), nil
}
