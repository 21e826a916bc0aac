package s3store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Part sizes and counts, as S3 defines them.
const (
	MiB             = 1 << 20
	MinPartSize     = 5 * MiB // smallest part S3 accepts (but the last)
	MaxPartSize     = 5 << 30 // largest part S3 accepts
	DefaultPartSize = 8 * MiB // transfermanager's default
	MaxParts        = 10000   // most parts in one upload
	MaxConcurrency  = 10      // Spaces allows 10 concurrent PUTs per object
	defaultParallel = 4       // parts in flight when UploadOptions.Concurrency is 0
	canaryTail      = 4321    // bytes of the canary's second part
	canaryPrefix    = ".tootops-canary-"
)

// UploadOptions tune Upload. Zero values take the defaults.
type UploadOptions struct {
	// PartSize is the size of every part but the last: ≥ MinPartSize, default
	// DefaultPartSize. A stream of unknown length cannot grow it, so PartSize × MaxParts
	// caps the object (see PartSize).
	PartSize int64
	// Concurrency is the parts in flight, default 4 (see Concurrency).
	Concurrency int
	// MaxParts fails the upload once the stream needs more parts, default and at most 10000.
	MaxParts    int32
	ContentType string
	// Metadata is stored with the object (x-amz-meta-*); it is sent when the upload
	// starts, so it cannot hold the data's hash.
	Metadata map[string]string
}

// UploadResult describes a completed upload.
type UploadResult struct {
	Size  int64 // bytes read from the body and stored
	Parts int   // 1 when the body fit in a single PutObject
	ETag  string
}

func (o UploadOptions) resolve() (UploadOptions, error) {
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultParallel
	}
	if o.MaxParts == 0 {
		o.MaxParts = MaxParts
	}
	switch {
	case o.PartSize < MinPartSize || o.PartSize > MaxPartSize:
		return o, fmt.Errorf("s3store: part size %d is outside S3's %d..%d", o.PartSize, MinPartSize, int64(MaxPartSize))
	case o.Concurrency < 1:
		return o, fmt.Errorf("s3store: concurrency %d is below 1", o.Concurrency)
	case o.MaxParts < 1 || o.MaxParts > MaxParts:
		return o, fmt.Errorf("s3store: max parts %d is outside 1..%d", o.MaxParts, MaxParts)
	}
	return o, nil
}

// Upload streams body, of any length, into key with a multipart upload (a single
// PutObject when body ends within the first part). It holds at most PartSize ×
// (Concurrency+2) bytes of body in memory (see Concurrency).
//
// The object appears only when body returns io.EOF. Any other error from body, an error
// from S3 (after the SDK's retries), or ctx being cancelled aborts the multipart upload
// on a fresh context (30 s) and returns an error; no object and no incomplete upload of
// key is left, which Upload checks with ListMultipartUploads. Upload assumes it is the
// only writer of key: on failure it aborts every incomplete upload of key.
//
// ctx is checked before each read of body, but a Read that blocks is not interrupted:
// the producer should also stop on ctx (io.Pipe: CloseWithError).
func (s *Store) Upload(ctx context.Context, key string, body io.Reader, o UploadOptions) (UploadResult, error) {
	o, err := o.resolve()
	if err != nil {
		return UploadResult{}, err
	}
	r := &stream{ctx: ctx, r: body}
	in := &transfermanager.UploadObjectInput{
		Bucket:   &s.bucket,
		Key:      &key,
		Body:     r, // hides io.Seeker: parts stay PartSize, read in order
		Metadata: o.Metadata,
	}
	if o.ContentType != "" {
		in.ContentType = &o.ContentType
	}
	out, err := s.tm.UploadObject(ctx, in, func(t *transfermanager.Options) {
		t.PartSizeBytes = o.PartSize
		// The first part is read with io.ReadAll up to this threshold, outside the pool
		// of Concurrency+1 part buffers: keep it to one part.
		t.MultipartUploadThreshold = o.PartSize
		t.Concurrency = o.Concurrency
		t.MaxUploadParts = int64(o.MaxParts)
	})
	if err == nil && !r.eof {
		// transfermanager completes only after reading io.EOF (v0.5.5); make sure.
		err = errors.New("s3store: upload completed before the end of the data")
		_ = s.Delete(context.WithoutCancel(ctx), key)
	}
	if err == nil {
		res := UploadResult{Size: r.n, Parts: len(out.CompletedParts), ETag: strings.Trim(aws.ToString(out.ETag), `"`)}
		if res.Parts == 0 {
			res.Parts = 1
		}
		return res, nil
	}

	var mu transfermanager.MultipartUploadError
	id := ""
	if errors.As(err, &mu) {
		id = mu.UploadID()
	}
	cleanErr := s.abandon(key, id)

	var e *Error
	switch {
	case ctx.Err() != nil: // first: a producer that stops on ctx fails the body too
		e = &Error{Msg: fmt.Sprintf("upload of %s cancelled after %s", key, bytesText(r.n)), Err: context.Cause(ctx), secrets: s.secrets}
	case r.err != nil:
		e = &Error{Msg: fmt.Sprintf("reading the data for %s failed after %s", key, bytesText(r.n)), Err: r.err, secrets: s.secrets}
	case r.n > int64(o.MaxParts)*o.PartSize:
		e = &Error{
			Msg:     fmt.Sprintf("upload of %s needs more than %d parts of %s (the part limit)", key, o.MaxParts, bytesText(o.PartSize)),
			Hint:    "raise the part size (it is chosen from the expected size: check the estimate)",
			Kind:    ErrTooManyParts,
			Err:     err,
			secrets: s.secrets,
		}
	default:
		e = s.describe("uploading "+key, err)
	}
	if cleanErr != nil {
		e.Msg += "; and its incomplete upload could not be aborted: " + cleanErr.Msg
		e.Hint = strings.TrimPrefix(e.Hint+"; ", "; ") + "add a lifecycle rule that aborts incomplete multipart uploads after a day"
		e.Kind, e.Err = errors.Join(e.Kind, ErrIncomplete), errors.Join(e.Err, cleanErr.Err)
	}
	return UploadResult{}, e
}

// abandon aborts the upload id (if known) and any other incomplete upload of key, on a
// fresh context, and checks that none is listed afterwards.
//
// A part whose request was still being handled by the store when the abort arrived can
// bring the upload back (S3: "it might be necessary to abort a given multipart upload
// multiple times"; versitygw recreates the upload's directory), so abandon lists again
// after a pause and aborts again until a listing after a pause is empty.
func (s *Store) abandon(key, id string) *Error {
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	abort := func(id string) *Error {
		_, err := s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: &id})
		if err != nil && !hasCode(err, "NoSuchUpload") {
			return s.describe("aborting the upload of "+key, err)
		}
		return nil
	}
	if id != "" {
		if err := abort(id); err != nil {
			return err
		}
	}
	for round := range abandonRounds {
		left, err := s.pendingOf(ctx, key)
		if err != nil {
			if id == "" && round == 0 {
				// No upload was started, or we cannot tell (the store is unreachable).
				return nil
			}
			return s.describe("listing incomplete uploads of "+key, err)
		}
		if len(left) == 0 && round > 0 {
			return nil
		}
		for _, u := range left {
			if err := abort(u.id); err != nil {
				return err
			}
		}
		if id == "" && len(left) == 0 {
			return nil // nothing was started: nothing to wait for
		}
		select {
		case <-ctx.Done():
			return s.describe("aborting the upload of "+key, ctx.Err())
		case <-time.After(abandonPause):
		}
	}
	left, err := s.pendingOf(ctx, key)
	if err != nil {
		return s.describe("listing incomplete uploads of "+key, err)
	}
	if len(left) == 0 {
		return nil
	}
	return &Error{Msg: fmt.Sprintf("%d incomplete uploads of %s still listed after %d aborts", len(left), key, abandonRounds), secrets: s.secrets}
}

// abandonRounds and abandonPause bound abandon's waiting: 2 s at most.
const (
	abandonRounds = 5
	abandonPause  = 400 * time.Millisecond
)

// pendingOf is the incomplete uploads of exactly key.
func (s *Store) pendingOf(ctx context.Context, key string) ([]pendingUpload, error) {
	ups, err := s.pending(ctx, key)
	if err != nil {
		return nil, err
	}
	var mine []pendingUpload
	for _, u := range ups {
		if u.key == key {
			mine = append(mine, u)
		}
	}
	return mine, nil
}

// stream is Upload's view of the body: it counts bytes, remembers how the body ended,
// stops on ctx, and hides any io.Seeker.
type stream struct {
	ctx context.Context
	r   io.Reader
	n   int64
	eof bool
	err error // from the body, not from ctx
}

func (s *stream) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
	return n, err
}

// Canary proves that the store takes the uploads backups make: a two-part multipart
// upload (5 MiB and a few bytes) to prefix/.tootops-canary-<random>, then HeadObject
// (size), GetObject (SHA-256) and DeleteObjects. It leaves nothing behind, and its error
// says which step failed.
func (s *Store) Canary(ctx context.Context, prefix string) error {
	key := canaryPrefix + randomHex(8)
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		key = prefix + "/" + key
	}
	data := make([]byte, MinPartSize+canaryTail)
	_, _ = rand.Read(data)
	want := sha256.Sum256(data)

	res, err := s.Upload(ctx, key, bytes.NewReader(data), UploadOptions{PartSize: MinPartSize, Concurrency: 2, ContentType: "application/octet-stream"})
	if err != nil {
		return canaryError("the S3 endpoint refused a multipart upload", err, s.secrets)
	}
	fail := func(msg string, err error) error {
		_ = s.Delete(context.WithoutCancel(ctx), key)
		if err != nil {
			return canaryError(msg, err, s.secrets)
		}
		return &Error{Msg: msg, Hint: hintChecksum, secrets: s.secrets}
	}
	if res.Parts != 2 {
		return fail(fmt.Sprintf("the S3 canary went up in %d parts, not 2", res.Parts), nil)
	}
	obj, err := s.Head(ctx, key)
	if err != nil {
		return fail("the S3 endpoint lost a completed multipart upload", err)
	}
	if obj.Size != int64(len(data)) {
		return fail(fmt.Sprintf("the S3 endpoint stored %d bytes of a %d-byte multipart upload", obj.Size, len(data)), nil)
	}
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return fail("the S3 endpoint would not return a completed multipart upload", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, rc)
	rc.Close()
	if err != nil {
		return fail("reading back the S3 canary failed", err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		return fail("the S3 endpoint returned other bytes than were uploaded", nil)
	}
	if err := s.Delete(ctx, key); err != nil {
		return canaryError("the S3 endpoint refused to delete the canary object "+key, err, s.secrets)
	}
	return nil
}

// canaryError puts msg before the cause's own message, and keeps its hint when it has one.
func canaryError(msg string, err error, secrets []string) error {
	e := &Error{Msg: msg, Err: err, secrets: secrets, Hint: hintChecksum + "; " + hintCredentials}
	var inner *Error
	if errors.As(err, &inner) {
		e.Msg = msg + ": " + inner.Msg
		e.Err = inner.Err
		e.Kind = inner.Kind
		if inner.Hint != "" {
			e.Hint = inner.Hint
		}
	}
	return e
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bytesText is n in B, KiB, MiB or GiB, for messages.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= MiB:
		return fmt.Sprintf("%.1f MiB", float64(n)/MiB)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
