package compose

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entry is one member of a test archive: a directory ends in "/", a symbolic link has
// link, a hard link has hard.
type entry struct {
	name, body, link, hard string
	mode                   int64
	typ                    byte // another type: tar.TypeFifo…
}

func archive(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: time.Unix(1700000000, 0)}
		switch {
		case strings.HasSuffix(e.name, "/"):
			h.Typeflag = tar.TypeDir
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		case e.hard != "":
			h.Typeflag, h.Linkname = tar.TypeLink, e.hard
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if e.typ != 0 {
			h.Typeflag = e.typ
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(e.body))
	}
	_ = tw.Close()
	return &b
}

func TestAssetsExtractTar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n, err := extractTar(archive(t,
		entry{name: "public/", mode: 0o755},
		entry{name: "public/assets/", mode: 0o555},
		entry{name: "public/assets/app.css", body: "body{}", mode: 0o644},
		entry{name: "public/assets/run.sh", body: "#!", mode: 0o4755},
		entry{name: "public/packs", link: "assets"},
		entry{name: "public/assets/same.css", hard: "public/assets/app.css"},
		entry{name: "public/up", link: "assets/../packs/app.css"},
		entry{name: "public/fifo", typ: tar.TypeFifo}, // skipped
	), dir, "public")
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("%d entries written, want 6", n)
	}
	if _, err := os.Lstat(filepath.Join(dir, "fifo")); err == nil {
		t.Error("a FIFO was made")
	}
	check := func(name string, mode fs.FileMode, body string) {
		t.Helper()
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			return
		}
		if st.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, st.Mode(), mode)
		}
		if body != "" {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			if string(b) != body {
				t.Errorf("%s: %q", name, b)
			}
		}
		if !st.ModTime().Equal(time.Unix(1700000000, 0)) && st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: mtime %v", name, st.ModTime())
		}
	}
	check("assets", fs.ModeDir|0o555, "")
	check("assets/app.css", 0o644, "body{}")
	check("assets/run.sh", 0o755, "#!") // no set-uid
	check("assets/same.css", 0o644, "body{}")
	check("packs", fs.ModeSymlink|0o777, "")
	check("up", fs.ModeSymlink|0o777, "")
	if b, err := os.ReadFile(filepath.Join(dir, "up")); err != nil || string(b) != "body{}" {
		t.Errorf("up → %q, %v", b, err)
	}
	_ = os.Chmod(filepath.Join(dir, "assets"), 0o755) // so that TempDir can clean up
}

func TestAssetsExtractTarFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := extractTar(archive(t, entry{name: "README", body: "hi"}), dir, "README"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "README")); err != nil || string(b) != "hi" {
		t.Errorf("README = %q, %v", b, err)
	}
}

func TestAssetsExtractTarRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []entry
		want    string
	}{
		{"dot-dot", []entry{{name: "public/"}, {name: "public/../evil", body: "x"}}, "not under public"},
		{"dot-dot first", []entry{{name: "../evil", body: "x"}}, "outside the copy"},
		{"dot-dot inside", []entry{{name: "public/"}, {name: "public/a/../../evil", body: "x"}}, "not under public"},
		{"absolute", []entry{{name: "/etc/evil", body: "x"}}, "outside the copy"},
		{"another root", []entry{{name: "other/x", body: "x"}}, "not under public"},
		{"prefix of the root", []entry{{name: "publicity/x", body: "x"}}, "not under public"},
		{"absolute link", []entry{{name: "public/"}, {name: "public/l", link: "/etc"}}, "outside the copy"},
		{"climbing link", []entry{{name: "public/"}, {name: "public/a/"}, {name: "public/a/l", link: "../../etc"}}, "outside the copy"},
		{"link through a link", []entry{{name: "public/"}, {name: "public/l1", link: "."}, {name: "public/l2", link: "l1/.."}}, "outside the copy"},
		{"link chain", []entry{{name: "public/"}, {name: "public/d/"}, {name: "public/d/l1", link: ".."}, {name: "public/l2", link: "d/l1/d/l1/.."}}, "outside the copy"},
		{"write through a link", []entry{{name: "public/"}, {name: "public/sub/"}, {name: "public/l", link: "sub"}, {name: "public/l/x", body: "x"}}, "l is not a directory"},
		{"directory over a link", []entry{{name: "public/"}, {name: "public/l", link: "."}, {name: "public/l/"}}, "not a directory"},
		{"file over a link", []entry{{name: "public/"}, {name: "public/l", link: "x"}, {name: "public/l", body: "x"}}, "exists"},
		{"hard link out", []entry{{name: "public/"}, {name: "public/h", hard: "/etc/passwd"}}, "outside the copy"},
		{"link loop", []entry{{name: "public/"}, {name: "public/a", link: "b"}, {name: "public/b", link: "a/x"}}, "too many levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			dir := filepath.Join(base, "dst")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := extractTar(archive(t, tt.entries...), dir, "public")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("extractTar = %v, want an error with %q", err, tt.want)
			}
			// Nothing was written outside dst.
			es, _ := os.ReadDir(base)
			if len(es) != 1 {
				t.Errorf("%s holds %d entries", base, len(es))
			}
		})
	}
}
