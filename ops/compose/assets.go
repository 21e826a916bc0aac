package compose

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// copier is what copying files out of an image needs.
type copier interface {
	CopyFromContainer(ctx context.Context, id string, options client.CopyFromContainerOptions) (client.CopyFromContainerResult, error)
}

var _ copier = (*client.Client)(nil)

// CopyFromImage copies srcPath out of an image into dstDir on the bot's machine, the way
// `docker create IMAGE && docker cp ID:SRC DST && docker rm ID` does: from a container
// made for it and never started, removed afterwards whatever happens. dstDir then holds
// what srcPath holds (a file srcPath becomes dstDir/<its name>). dstDir must not exist, or
// be an empty directory; its parent must exist. The files arrive in a temporary directory
// next to dstDir that is renamed to dstDir at the end, so dstDir is never half made.
//
// For Mastodon's static assets: CopyFromImage(ctx, "ghcr.io/mastodon/mastodon:v4.5.1",
// "/opt/mastodon/public", "/srv/mastodon/public-v4.5.1"), then SwapSymlink to point the
// web server's root at it.
//
// Only regular files, directories and symbolic links come out, with their permission bits
// (not set-uid, set-gid or sticky, and not their owners) and modification times; hard
// links become copies. Names that would land outside dstDir (absolute, with ..) and
// symbolic links pointing outside it (absolute, or climbing out) fail the copy.
func (p *Project) CopyFromImage(ctx context.Context, image, srcPath, dstDir string) error {
	cp, ok := p.eng.(copier)
	if !ok {
		return errors.New("compose: this engine cannot copy from containers")
	}
	if !path.IsAbs(srcPath) {
		return &ops.Error{Msg: fmt.Sprintf("%s is not an absolute path in the image", srcPath)}
	}
	dstDir = filepath.Clean(dstDir)
	if err := checkDestination(dstDir); err != nil {
		return err
	}
	if _, err := p.eng.ImageInspect(ctx, image); err != nil {
		if isNotFound(err) {
			return &ops.Error{Msg: fmt.Sprintf("image %s is not on the Docker host", image), Hint: "pull it first", Err: err}
		}
		return p.engineError("inspect image "+image, err)
	}
	// The container is never started: its command only has to exist for the daemon to
	// accept it, for images without one.
	res, err := p.eng.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      image,
			Entrypoint: []string{"/tootops-copy-never-started"},
			Labels:     map[string]string{"org.tootops.copy": srcPath},
		},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
		Name:       "tootops-copy-" + randomHex(6),
	})
	if err != nil {
		return p.engineError("create a container of "+image, err)
	}
	defer p.removeQuietly(ctx, res.ID)

	got, err := cp.CopyFromContainer(ctx, res.ID, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		if isNotFound(err) {
			return &ops.Error{Msg: fmt.Sprintf("image %s has no %s", image, srcPath), Err: err}
		}
		return p.engineError("copy "+srcPath+" out of "+image, err)
	}
	defer got.Content.Close()

	tmp, err := os.MkdirTemp(filepath.Dir(dstDir), "."+filepath.Base(dstDir)+".tmp-")
	if err != nil {
		return &ops.Error{Msg: fmt.Sprintf("cannot make a directory next to %s", dstDir), Err: err}
	}
	defer os.RemoveAll(tmp) // gone after the rename
	root := got.Stat.Name
	if root == "" {
		root = path.Base(srcPath)
	}
	n, err := extractTar(got.Content, tmp, root)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ops.Error{Msg: fmt.Sprintf("cannot copy %s out of %s", srcPath, image), Err: err}
	}
	if err := os.Remove(dstDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &ops.Error{Msg: fmt.Sprintf("%s is in the way", dstDir), Err: err}
	}
	if err := os.Rename(tmp, dstDir); err != nil {
		return &ops.Error{Msg: fmt.Sprintf("cannot move the copy to %s", dstDir), Err: err}
	}
	p.log.Info().Str("image", image).Str("src", srcPath).Str("dst", dstDir).Int("files", n).Msg("copied from image")
	return nil
}

// checkDestination accepts a directory that does not exist or is empty, in a directory
// that exists.
func checkDestination(dir string) error {
	if st, err := os.Stat(filepath.Dir(dir)); err != nil || !st.IsDir() {
		return &ops.Error{Msg: fmt.Sprintf("%s does not exist", filepath.Dir(dir)), Err: err}
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &ops.Error{Msg: fmt.Sprintf("%s is in the way", dir), Hint: "it must be an empty directory, or not exist", Err: err}
	case len(entries) > 0:
		return &ops.Error{Msg: fmt.Sprintf("%s already exists and is not empty", dir), Hint: "remove it, or copy to another directory"}
	}
	return nil
}

// extractTar writes the archive Docker gives for a path (entries named root, root/…)
// into dir, which must be empty, so that dir holds what root held; a lone file entry
// root is written as dir/root. It returns the number of entries written. Every write goes
// through an os.Root on dir, which refuses names and symbolic links leading out of it.
func extractTar(r io.Reader, dir, root string) (int, error) {
	rt, err := os.OpenRoot(dir)
	if err != nil {
		return 0, err
	}
	defer rt.Close()
	type dirMode struct {
		name  string
		mode  fs.FileMode
		mtime time.Time
	}
	var dirs []dirMode
	var links []string
	realDirs := map[string]bool{".": true}
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("reading the archive: %w", err)
		}
		name, err := entryName(h.Name, root, h.Typeflag == tar.TypeDir)
		if err != nil {
			return n, err
		}
		if name == "." {
			if h.Typeflag == tar.TypeDir {
				dirs = append(dirs, dirMode{".", h.FileInfo().Mode().Perm(), h.ModTime})
				continue
			}
			name = path.Base(root) // a file copied alone
		}
		if err := realParents(rt, name, realDirs); err != nil {
			return n, fmt.Errorf("%s: %w", h.Name, err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := rt.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return n, fmt.Errorf("%s: %w", h.Name, err)
			}
			if st, err := rt.Lstat(name); err != nil || !st.IsDir() {
				return n, fmt.Errorf("%s: not a directory", h.Name)
			}
			realDirs[name] = true
			dirs = append(dirs, dirMode{name, h.FileInfo().Mode().Perm(), h.ModTime})
		case tar.TypeReg:
			if err := writeFile(rt, name, tr, h.FileInfo().Mode().Perm()); err != nil {
				return n, fmt.Errorf("%s: %w", h.Name, err)
			}
			_ = rt.Chtimes(name, h.ModTime, h.ModTime)
		case tar.TypeSymlink:
			if err := checkLinkTarget(name, h.Linkname); err != nil {
				return n, fmt.Errorf("%s: %w", h.Name, err)
			}
			if err := rt.Symlink(h.Linkname, name); err != nil {
				return n, fmt.Errorf("%s: %w", h.Name, err)
			}
			links = append(links, name)
		case tar.TypeLink:
			target, err := entryName(h.Linkname, root, false)
			if err != nil || target == "." {
				return n, fmt.Errorf("%s: hard link to %s, outside the copy", h.Name, h.Linkname)
			}
			if err := copyWithin(rt, target, name); err != nil {
				return n, fmt.Errorf("%s: %w", h.Name, err)
			}
			_ = rt.Chtimes(name, h.ModTime, h.ModTime)
		default:
			continue // devices, FIFOs: not files a web server serves
		}
		n++
	}
	// Each link, resolved through the others as the kernel would, must stay inside.
	for _, l := range links {
		if err := linkStaysInside(rt, l); err != nil {
			return n, err
		}
	}
	// Directory modes last, deepest first, so a read-only directory was still writable
	// while it was filled.
	for _, d := range slices.Backward(dirs) {
		if err := rt.Chmod(d.name, d.mode); err != nil {
			return n, fmt.Errorf("%s: %w", d.name, err)
		}
		_ = rt.Chtimes(d.name, d.mtime, d.mtime)
	}
	return n, nil
}

// entryName maps an archive name (root/a/b) to a clean relative name (a/b), "." for root
// itself, refusing names outside root.
func entryName(name, root string, isDir bool) (string, error) {
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(name, "\\") {
		return "", fmt.Errorf("archive entry %q is outside the copy", name)
	}
	rest, ok := strings.CutPrefix(clean, path.Clean(root))
	switch {
	case ok && rest == "":
		return ".", nil
	case ok && strings.HasPrefix(rest, "/"):
		return rest[1:], nil
	}
	return "", fmt.Errorf("archive entry %q is not under %s", name, root)
}

// checkLinkTarget refuses a symbolic link at name (relative to the copy's root) whose
// target is absolute or leads out of the copy.
func checkLinkTarget(name, target string) error {
	if target == "" || path.IsAbs(target) || strings.Contains(target, "\\") {
		return fmt.Errorf("symbolic link to %q, outside the copy", target)
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("symbolic link to %q, outside the copy", target)
	}
	return nil
}

// realParents makes the directories above name, refusing to go through a symbolic link:
// an archive of a real tree never needs to, and links are checked where they are.
func realParents(rt *os.Root, name string, real map[string]bool) error {
	parent := path.Dir(name)
	if real[parent] {
		return nil
	}
	dir := ""
	for part := range strings.SplitSeq(parent, "/") {
		dir = path.Join(dir, part)
		if real[dir] {
			continue
		}
		st, err := rt.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := rt.Mkdir(dir, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !st.IsDir():
			return fmt.Errorf("%s is not a directory", dir)
		}
		real[dir] = true
	}
	return nil
}

// linkStaysInside resolves the symbolic link name in rt component by component, following
// links, and fails when the path climbs out of rt or is absolute.
func linkStaysInside(rt *os.Root, name string) error {
	target, err := rt.Readlink(name)
	if err != nil {
		return err
	}
	var stack []string // the resolved directories, from rt
	if d := path.Dir(name); d != "." {
		stack = strings.Split(d, "/")
	}
	queue := strings.Split(target, "/")
	for hops := 0; len(queue) > 0; {
		part := queue[0]
		queue = queue[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return fmt.Errorf("%s: symbolic link to %q, outside the copy", name, target)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, part)
		st, err := rt.Lstat(path.Join(stack...))
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			continue // a file, a directory, or nothing: nothing to follow
		}
		if hops++; hops > 40 {
			return fmt.Errorf("%s: too many levels of symbolic links", name)
		}
		next, err := rt.Readlink(path.Join(stack...))
		if err != nil {
			return err
		}
		if path.IsAbs(next) {
			return fmt.Errorf("%s: symbolic link through %q, outside the copy", name, next)
		}
		stack = stack[:len(stack)-1]
		queue = append(strings.Split(next, "/"), queue...)
	}
	return nil
}

// writeFile creates name in rt, which must not exist, with the content of r.
func writeFile(rt *os.Root, name string, r io.Reader, mode fs.FileMode) error {
	f, err := rt.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyWithin copies the regular file from to to, both in rt.
func copyWithin(rt *os.Root, from, to string) error {
	src, err := rt.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("hard link to %s, not a regular file", from)
	}
	return writeFile(rt, to, src, st.Mode().Perm())
}

// SwapSymlink points the symbolic link link at target, atomically: a new link is made
// next to it and renamed over it (rename(2) replaces it in one step), so a web server
// following link sees the old target or the new one, never nothing. link may not exist
// yet; when it exists it must be a symbolic link (a directory or file there is refused).
// target is stored as given: a relative target is relative to link's directory.
func SwapSymlink(link, target string) error {
	if target == "" {
		return &ops.Error{Msg: "no target for the symbolic link " + link}
	}
	st, err := os.Lstat(link)
	switch {
	case err == nil && st.Mode()&fs.ModeSymlink == 0:
		return &ops.Error{Msg: fmt.Sprintf("%s is not a symbolic link", link), Hint: "move it away first: it would be replaced by a link to " + target}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return &ops.Error{Msg: fmt.Sprintf("cannot look at %s", link), Err: err}
	}
	dir := filepath.Dir(link)
	tmp := filepath.Join(dir, "."+filepath.Base(link)+".tmp-"+randomHex(6))
	if err := os.Symlink(target, tmp); err != nil {
		return &ops.Error{Msg: fmt.Sprintf("cannot make a symbolic link in %s", dir), Err: err}
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return &ops.Error{Msg: fmt.Sprintf("cannot replace %s", link), Err: err}
	}
	// Make the rename durable; a failure here changes nothing that happened.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
