package s3store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/s3store"
)

// streamSize is 23 MiB: with 5 MiB parts, four full parts and a short fifth.
const streamSize = 23 * mib

func newStore(t *testing.T, srv *lab.S3Server, mods ...func(*s3store.Config)) *s3store.Store {
	t.Helper()
	c := s3store.Config{
		Endpoint:        srv.Endpoint,
		Region:          srv.Region,
		Bucket:          srv.Bucket,
		PathStyle:       true,
		AccessKeyID:     srv.AccessKey,
		SecretAccessKey: srv.SecretKey,
		RootCAs:         srv.RootCAs,
	}
	for _, m := range mods {
		m(&c)
	}
	st, err := s3store.New(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// feed writes size pseudo-random bytes into pw in 256 KiB writes, then closes it with
// end (nil: io.EOF). After limit bytes (if ≥ 0) it calls at(), once. It stops when a
// write fails and returns the SHA-256 of what it wrote.
func feed(pw *io.PipeWriter, seed uint64, size, limit int64, at func(), end error) [32]byte {
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	buf := make([]byte, 256<<10)
	var n int64
	for n < size {
		if limit >= 0 && n >= limit && at != nil {
			at()
			at = nil
		}
		b := buf[:min(int64(len(buf)), size-n)]
		_, _ = rng.Read(b)
		w, err := pw.Write(b)
		h.Write(b[:w])
		n += int64(w)
		if err != nil {
			return [32]byte(h.Sum(nil))
		}
	}
	pw.CloseWithError(end)
	return [32]byte(h.Sum(nil))
}

// pipeUpload uploads size bytes through an io.Pipe (unknown length) and returns the hash
// of what was written.
func pipeUpload(ctx context.Context, st *s3store.Store, key string, size int64, o s3store.UploadOptions) ([32]byte, s3store.UploadResult, error) {
	pr, pw := io.Pipe()
	sum := make(chan [32]byte, 1)
	go func() { sum <- feed(pw, 1, size, -1, nil, nil) }()
	res, err := st.Upload(ctx, key, pr, o)
	pr.CloseWithError(errors.New("upload returned"))
	return <-sum, res, err
}

func getSum(t *testing.T, st *s3store.Store, key string) ([32]byte, int64) {
	t.Helper()
	rc, n, err := st.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	got, err := io.Copy(h, rc)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Errorf("Get: read %d bytes, ContentLength %d", got, n)
	}
	return [32]byte(h.Sum(nil)), got
}

// assertGone checks that neither key nor an incomplete upload of it exists.
func assertGone(t *testing.T, st *s3store.Store, srv *lab.S3Server, key string) {
	t.Helper()
	if _, err := st.Head(t.Context(), key); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Head(%s) = %v, want ErrNotFound", key, err)
	}
	if _, err := os.Stat(srv.ObjectPath(key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s on disk: %v", key, err)
	}
	ups, err := st.PendingUploads(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 0 {
		t.Errorf("incomplete uploads left: %v", ups)
	}
}

func TestUploadRoundTrip(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			srv := lab.S3(t, lab.S3Options{TLS: tls})
			if got := strings.HasPrefix(srv.Endpoint, "https://"); got != tls {
				t.Fatalf("endpoint %s", srv.Endpoint)
			}
			st := newStore(t, srv)
			key := "pg/mastodon/2026/11/mastodon-20261124T020000Z.dump"
			want, res, err := pipeUpload(t.Context(), st, key, streamSize, s3store.UploadOptions{
				PartSize:    5 * mib,
				Concurrency: 3,
				ContentType: "application/octet-stream",
				Metadata:    map[string]string{"tootops-kind": "pg_dump"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res, (s3store.UploadResult{Size: streamSize, Parts: 5, ETag: res.ETag}); got != want || res.ETag == "" {
				t.Errorf("result = %+v, want %+v with an ETag", got, want)
			}
			got, n := getSum(t, st, key)
			if got != want || n != streamSize {
				t.Errorf("Get: %d bytes, sha256 %x; want %d, %x", n, got, streamSize, want)
			}
			obj, err := st.Head(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Size != streamSize || obj.Key != key || obj.Modified.IsZero() {
				t.Errorf("Head = %+v", obj)
			}
			if fi, err := os.Stat(srv.ObjectPath(key)); err != nil || fi.Size() != streamSize {
				t.Errorf("on disk: %v, %v", fi, err)
			}
		})
	}
}

func TestUploadSmallIsOnePut(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	for _, size := range []int64{0, 1, 5*mib - 1} {
		key := fmt.Sprintf("small/%d", size)
		want, res, err := pipeUpload(t.Context(), st, key, size, s3store.UploadOptions{PartSize: 5 * mib})
		if err != nil {
			t.Fatal(err)
		}
		if res.Size != size || res.Parts != 1 {
			t.Errorf("%d bytes: result %+v", size, res)
		}
		if got, n := getSum(t, st, key); got != want || n != size {
			t.Errorf("%d bytes: got %d, hash mismatch %v", size, n, got != want)
		}
	}
}

func TestUploadBodyFails(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	key := "pg/failed.dump"
	dumpErr := errors.New("pg_dump exited with status 1")
	pr, pw := io.Pipe()
	go feed(pw, 2, 12*mib, -1, nil, dumpErr)
	_, err := st.Upload(t.Context(), key, pr, s3store.UploadOptions{PartSize: 5 * mib, Concurrency: 2})
	if !errors.Is(err, dumpErr) {
		t.Fatalf("Upload = %v, want the body's error", err)
	}
	if !strings.Contains(err.Error(), "reading the data for pg/failed.dump failed after 12.0 MiB") {
		t.Errorf("error text: %v", err)
	}
	assertGone(t, st, srv, key)
}

func TestUploadCancelled(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	key := "pg/cancelled.dump"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	go feed(pw, 3, streamSize, 12*mib, cancel, nil)
	start := time.Now()
	_, err := st.Upload(ctx, key, pr, s3store.UploadOptions{PartSize: 5 * mib, Concurrency: 2})
	pr.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "upload of pg/cancelled.dump cancelled after") {
		t.Errorf("error text: %v", err)
	}
	t.Logf("returned %v after start: %v", time.Since(start).Round(time.Millisecond), err)
	assertGone(t, st, srv, key)
}

// TestUploadComesBack has an upload of the key reappear 100 ms after the abort, as when
// the store finishes writing a part that was in flight: versitygw then recreates the
// upload's directory, and S3 documents that an abort may have to be repeated. Upload must
// list again after a pause and abort it too.
func TestUploadComesBack(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	p := srv.Proxy(t)
	st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint = p.Endpoint })
	key := "pg/comes-back.dump"
	isAbort := func(r *http.Request) bool { return r.Method == http.MethodDelete && r.URL.Query().Has("uploadId") }
	back := make(chan error, 1)
	p.Then(1, isAbort, func() {
		time.Sleep(100 * time.Millisecond)
		_, err := srv.Client().CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: &srv.Bucket, Key: &key})
		back <- err
	})
	pr, pw := io.Pipe()
	go feed(pw, 5, 12*mib, -1, nil, errors.New("boom"))
	if _, err := st.Upload(t.Context(), key, pr, s3store.UploadOptions{PartSize: 5 * mib}); err == nil {
		t.Fatal("Upload succeeded")
	}
	select {
	case err := <-back:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("Upload returned before the upload came back")
	}
	assertGone(t, st, srv, key)
}

// TestFailedUploadAbortsStrays checks that PendingUploads sees an incomplete upload (so
// assertGone can fail), and that a failed Upload aborts every incomplete upload of its
// key, including one whose id it never learnt.
func TestFailedUploadAbortsStrays(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	key := "pg/stray.dump"
	for _, k := range []string{key, "pg/other.dump"} {
		if _, err := srv.Client().CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &srv.Bucket, Key: &k}); err != nil {
			t.Fatal(err)
		}
	}
	ups, err := st.PendingUploads(t.Context(), "pg/")
	if err != nil || fmt.Sprint(ups) != "[pg/other.dump pg/stray.dump]" {
		t.Fatalf("PendingUploads = %v, %v", ups, err)
	}
	pr, pw := io.Pipe()
	go feed(pw, 4, 7*mib, -1, nil, errors.New("boom"))
	if _, err := st.Upload(t.Context(), key, pr, s3store.UploadOptions{PartSize: 5 * mib}); err == nil {
		t.Fatal("Upload succeeded")
	}
	assertGone(t, st, srv, key)
	if ups, _ := st.PendingUploads(t.Context(), "pg/"); fmt.Sprint(ups) != "[pg/other.dump]" {
		t.Errorf("PendingUploads = %v, want only the other key's", ups)
	}
}

func TestUploadTooManyParts(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	key := "pg/too-big.dump"
	_, _, err := pipeUpload(t.Context(), st, key, streamSize, s3store.UploadOptions{PartSize: 5 * mib, MaxParts: 2})
	if !errors.Is(err, s3store.ErrTooManyParts) {
		t.Fatalf("Upload = %v, want ErrTooManyParts", err)
	}
	if want := "needs more than 2 parts of 5.0 MiB (the part limit)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	assertGone(t, st, srv, key)
}

func TestUploadOptionsChecked(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	for _, o := range []s3store.UploadOptions{{PartSize: 1 * mib}, {Concurrency: -1}, {MaxParts: 10001}} {
		if _, err := st.Upload(t.Context(), "x", strings.NewReader("x"), o); err == nil {
			t.Errorf("Upload with %+v: no error", o)
		}
	}
}

func TestUploadFaults(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})

	t.Run("every UploadPart fails", func(t *testing.T) {
		p := srv.Proxy(t)
		st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint = p.Endpoint })
		p.Fail(-1, http.StatusInternalServerError, lab.IsUploadPart)
		key := "faults/all.dump"
		_, _, err := pipeUpload(t.Context(), st, key, streamSize, s3store.UploadOptions{PartSize: 5 * mib, Concurrency: 2})
		if err == nil {
			t.Fatal("Upload succeeded through a proxy failing every part")
		}
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InternalError" {
			t.Errorf("Upload = %v, want the InternalError wrapped", err)
		}
		if want := "the S3 endpoint failed (InternalError, HTTP 500)"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		if p.Fired() < 3 {
			t.Errorf("%d parts failed; want the SDK's 3 attempts at least", p.Fired())
		}
		assertGone(t, st, srv, key)
	})

	t.Run("one UploadPart fails", func(t *testing.T) {
		p := srv.Proxy(t)
		st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint = p.Endpoint })
		p.Fail(1, http.StatusInternalServerError, lab.IsUploadPart)
		key := "faults/one.dump"
		want, res, err := pipeUpload(t.Context(), st, key, streamSize, s3store.UploadOptions{PartSize: 5 * mib, Concurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		if p.Fired() != 1 || res.Parts != 5 {
			t.Errorf("fired %d, parts %d", p.Fired(), res.Parts)
		}
		if got, n := getSum(t, st, key); got != want || n != streamSize {
			t.Errorf("Get: %d bytes, hash mismatch %v", n, got != want)
		}
	})

	t.Run("connection dropped mid-part", func(t *testing.T) {
		p := srv.Proxy(t)
		st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint = p.Endpoint })
		p.Drop(1, 1*mib, lab.IsUploadPart)
		key := "faults/drop.dump"
		want, res, err := pipeUpload(t.Context(), st, key, streamSize, s3store.UploadOptions{PartSize: 5 * mib, Concurrency: 2})
		if p.Fired() != 1 {
			t.Errorf("fired %d", p.Fired())
		}
		if err != nil {
			t.Logf("aborted: %v", err)
			assertGone(t, st, srv, key)
			return
		}
		t.Logf("retried: %+v", res)
		if got, n := getSum(t, st, key); got != want || n != streamSize {
			t.Errorf("half an object: Get %d bytes, hash mismatch %v", n, got != want)
		}
	})
}

func TestListPages(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	p := srv.Proxy(t)
	st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint, c.PageSize = p.Endpoint, 3 })
	var want []string
	for i := range 10 {
		key := fmt.Sprintf("pg/db/%02d.dump", i)
		want = append(want, key)
		if err := st.Put(t.Context(), key, []byte(strconv.Itoa(i)), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(t.Context(), "other/x", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := st.List(t.Context(), "pg/", func(o s3store.Object) error {
		got = append(got, o.Key)
		if o.Size != int64(len(strconv.Itoa(len(got)-1))) || o.Modified.IsZero() || o.ETag == "" {
			t.Errorf("object %+v", o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	isList := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" }
	if n := p.Count(isList); n != 4 {
		t.Errorf("%d ListObjectsV2 pages for 10 keys by 3, want 4", n)
	}

	stop := errors.New("stop")
	n := 0
	if err := st.List(t.Context(), "pg/", func(s3store.Object) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("List with fn failing = %v after %d calls", err, n)
	}
}

func TestDeleteMany(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	p := srv.Proxy(t)
	st := newStore(t, srv, func(c *s3store.Config) { c.Endpoint, c.PageSize = p.Endpoint, 10 })
	var keys []string
	for i := range 25 {
		key := fmt.Sprintf("old/%02d.dump", i)
		keys = append(keys, key)
		if err := st.Put(t.Context(), key, []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(t.Context(), "keep/me", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, "old/never-existed", "old/neither")
	if err := st.Delete(t.Context(), keys...); err != nil {
		t.Fatal(err)
	}
	isDelete := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Query().Has("delete") }
	if n := p.Count(isDelete); n != 3 {
		t.Errorf("%d DeleteObjects requests for 27 keys by 10, want 3", n)
	}
	if n := p.Count(func(r *http.Request) bool { return isDelete(r) && r.Header.Get("Content-MD5") != "" }); n != 3 {
		t.Errorf("%d DeleteObjects requests carry Content-MD5, want 3", n)
	}
	var left []string
	_ = st.List(t.Context(), "", func(o s3store.Object) error { left = append(left, o.Key); return nil })
	if fmt.Sprint(left) != "[keep/me]" {
		t.Errorf("left after Delete: %v", left)
	}
	if err := st.Delete(t.Context()); err != nil {
		t.Errorf("Delete of nothing: %v", err)
	}
}

func TestCanary(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tls], func(t *testing.T) {
			srv := lab.S3(t, lab.S3Options{TLS: tls})
			st := newStore(t, srv)
			if err := st.Canary(t.Context(), "pg/"); err != nil {
				t.Fatal(err)
			}
			var left []string
			_ = st.List(t.Context(), "", func(o s3store.Object) error { left = append(left, o.Key); return nil })
			ups, _ := st.PendingUploads(t.Context(), "")
			if len(left)+len(ups) != 0 {
				t.Errorf("the canary left objects %v and uploads %v", left, ups)
			}
		})
	}

	srv := lab.S3(t, lab.S3Options{})
	t.Run("wrong bucket", func(t *testing.T) {
		st := newStore(t, srv, func(c *s3store.Config) { c.Bucket = "no-such-bucket-here" })
		err := st.Canary(t.Context(), "pg")
		if !errors.Is(err, s3store.ErrBucketNotFound) {
			t.Fatalf("Canary = %v, want ErrBucketNotFound", err)
		}
		if want := `the S3 endpoint refused a multipart upload: S3 bucket "no-such-bucket-here" does not exist`; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want it to start %q", err, want)
		}
	})
	t.Run("wrong credentials", func(t *testing.T) {
		st := newStore(t, srv, func(c *s3store.Config) {
			c.AccessKeyID, c.SecretAccessKey = "AKIAWRONGWRONGWRONG1", "wrong-secret-wrong-secret"
		})
		err := st.Canary(t.Context(), "pg")
		if !errors.Is(err, s3store.ErrCredentials) {
			t.Fatalf("Canary = %v, want ErrCredentials", err)
		}
		if want := "the S3 endpoint refused a multipart upload: S3 refused the credentials"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want it to start %q", err, want)
		}
		var safe interface{ Safe() string }
		if !errors.As(err, &safe) || !strings.Contains(safe.Safe(), "access_key_id") {
			t.Errorf("no hint about the keys in %v", err)
		}
	})
}

// TestSecretsNeverInErrors calls every method with wrong credentials, and with the right
// access key but a wrong secret, and checks that no error text holds either.
func TestSecretsNeverInErrors(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	for _, tc := range []struct{ name, id, secret, code string }{
		// versitygw answers an unknown key with XAdminUserNotFound (HTTP 404), AWS with
		// InvalidAccessKeyId.
		{"unknown key", "AKIATOOTOPSLEAKCHECK", "tootops/leak+check/Secret0123456789", "XAdminUserNotFound"},
		{"wrong secret", srv.AccessKey, "tootops/leak+check/Secret0123456789", "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t, srv, func(c *s3store.Config) { c.AccessKeyID, c.SecretAccessKey = tc.id, tc.secret })
			ctx := t.Context()
			check := func(op string, err error) {
				t.Helper()
				if err == nil {
					t.Errorf("%s: no error", op)
					return
				}
				texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
				var safe interface{ Safe() string }
				if errors.As(err, &safe) {
					texts = append(texts, safe.Safe())
				} else {
					t.Errorf("%s: %T has no Safe text", op, err)
				}
				for _, s := range texts {
					if strings.Contains(s, tc.id) || strings.Contains(s, tc.secret) {
						t.Errorf("%s: error text holds a key: %s", op, s)
					}
				}
				if op != "Head" && op != "Canary" && !errors.Is(err, s3store.ErrCredentials) {
					t.Errorf("%s: %v is not ErrCredentials", op, err)
				}
			}
			check("Put", st.Put(ctx, "k", []byte("x"), ""))
			_, err := st.Head(ctx, "k")
			check("Head", err) // HEAD has no body: a bare 403
			_, _, err = st.Get(ctx, "k")
			check("Get", err)
			check("List", st.List(ctx, "", func(s3store.Object) error { return nil }))
			check("Delete", st.Delete(ctx, "k"))
			_, err = st.PendingUploads(ctx, "")
			check("PendingUploads", err)
			_, _, err = pipeUpload(ctx, st, "k", 6*mib, s3store.UploadOptions{PartSize: 5 * mib})
			check("Upload", err)
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tc.code {
				t.Errorf("Upload error does not wrap the SDK's %s: %v", tc.code, err)
			}
			err = st.Canary(ctx, "")
			check("Canary", err)
			t.Logf("Canary: %v", err)
		})
	}

	t.Run("invalid config", func(t *testing.T) {
		_, err := s3store.New(t.Context(), s3store.Config{Endpoint: "ftp://x", AccessKeyID: "AKIATOOTOPSLEAKCHECK"})
		if err == nil || strings.Contains(err.Error(), "AKIATOOTOPSLEAKCHECK") {
			t.Errorf("New = %v", err)
		}
	})
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		c    s3store.Config
		want string
	}{
		{s3store.Config{}, "bucket is empty"},
		{s3store.Config{Bucket: "b", Endpoint: "fra1.digitaloceanspaces.com"}, `endpoint "fra1.digitaloceanspaces.com" must start with https://`},
		{s3store.Config{Bucket: "b", Endpoint: "https://"}, `endpoint "https://" has no host`},
		{s3store.Config{Bucket: "b", AccessKeyID: "AKIA1234"}, "access_key_id and secret_access_key go together"},
	} {
		_, err := s3store.New(t.Context(), tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.c, err, tc.want)
		}
	}
}

func TestReachability(t *testing.T) {
	t.Run("nothing listening", func(t *testing.T) {
		st, err := s3store.New(t.Context(), s3store.Config{
			Endpoint: "http://127.0.0.1:" + strconv.Itoa(lab.FreePort(t)), Bucket: "b", PathStyle: true,
			AccessKeyID: "AKIATOOTOPSLEAKCHECK", SecretAccessKey: "s3cr3t-s3cr3t", MaxAttempts: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Head(t.Context(), "k")
		wantUnreachable(t, err, "S3 endpoint unreachable: connection refused by 127.0.0.1:", "nothing listens there")
	})
	srv := lab.S3(t, lab.S3Options{TLS: true})
	t.Run("untrusted certificate", func(t *testing.T) {
		st := newStore(t, srv, func(c *s3store.Config) { c.RootCAs, c.MaxAttempts = nil, 1 })
		err := st.Put(t.Context(), "k", nil, "")
		wantUnreachable(t, err, "S3 endpoint unreachable: TLS: certificate signed by unknown authority", "give ca_file for a private CA")
	})
	t.Run("https to a plain HTTP port", func(t *testing.T) {
		plain := lab.S3(t, lab.S3Options{})
		st := newStore(t, plain, func(c *s3store.Config) {
			c.Endpoint, c.MaxAttempts = strings.Replace(c.Endpoint, "http://", "https://", 1), 1
		})
		_, err := st.Head(t.Context(), "k")
		wantUnreachable(t, err, "S3 endpoint unreachable: TLS: the server does not speak TLS there", "use http://")
	})
	t.Run("AWS_CA_BUNDLE", func(t *testing.T) {
		// The SDK appends AWS_CA_BUNDLE to its own client's roots, and fails on a plain
		// *http.Client: neither must break New.
		t.Setenv("AWS_CA_BUNDLE", srv.CAFile)
		for _, hc := range []*http.Client{nil, srv.HTTPClient()} {
			st := newStore(t, srv, func(c *s3store.Config) { c.RootCAs, c.HTTPClient = nil, hc })
			if err := st.Put(t.Context(), "bundle", []byte("x"), ""); err != nil {
				t.Errorf("HTTPClient %v: %v", hc != nil, err)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	if _, err := st.Head(t.Context(), "nope"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Head = %v", err)
	}
	if _, _, err := st.Get(t.Context(), "nope"); !errors.Is(err, s3store.ErrNotFound) {
		t.Errorf("Get = %v", err)
	}
	if err := st.Put(t.Context(), "m.json", []byte(`{"a":1}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	rc, n, err := st.Get(t.Context(), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != `{"a":1}` || n != 7 {
		t.Errorf("Get = %q, %d", b, n)
	}
}

// TestUploadMemory measures the heap while 96 MiB (20 parts) stream through 5 MiB parts,
// 2 at a time. Live: the pool's Concurrency+1 parts and the first part (read by
// io.ReadAll outside the pool); measured here ≈ 4–6 parts, the rest being garbage the GC
// has not swept yet. The bound only has to catch buffering that grows with the stream.
func TestUploadMemory(t *testing.T) {
	srv := lab.S3(t, lab.S3Options{})
	st := newStore(t, srv)
	const part, conc = 5 * mib, 2
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }

	var (
		mu   sync.Mutex
		peak int64
		done = make(chan struct{})
	)
	base := read()
	go func() {
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	_, _, err := pipeUpload(t.Context(), st, "mem.dump", 96*mib, s3store.UploadOptions{PartSize: part, Concurrency: conc})
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	grew := peak - base
	t.Logf("heap objects: base %.1f MiB, peak %.1f MiB, grew %.1f MiB = %.1f parts of 5 MiB",
		float64(base)/mib, float64(peak)/mib, float64(grew)/mib, float64(grew)/part)
	if limit := int64(part * ((conc+2)*2 + 2)); grew > limit {
		t.Errorf("heap grew %d MiB, more than %d MiB", grew/mib, limit/mib)
	}
}

// wantUnreachable checks that err is ErrUnreachable and that the admin's text (message
// and hint) starts with msg and holds hint.
func wantUnreachable(t *testing.T, err error, msg, hint string) {
	t.Helper()
	var e *s3store.Error
	if !errors.Is(err, s3store.ErrUnreachable) || !errors.As(err, &e) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.HasPrefix(e.Msg, msg) || !strings.Contains(e.Hint, hint) {
		t.Errorf("err = %q — %q, want %q… — …%q…", e.Msg, e.Hint, msg, hint)
	}
}
