package s3store

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Config says where the bucket is and how to reach it.
type Config struct {
	// Endpoint is the store's URL (https://fra1.digitaloceanspaces.com); "" is AWS.
	Endpoint string
	// Region signs the requests; "" is us-east-1 with an Endpoint, else the SDK's
	// (AWS_REGION, ~/.aws/config).
	Region string
	Bucket string
	// PathStyle puts the bucket in the path (https://host/bucket/key) rather than in the
	// host name; S3-compatible stores on an IP address or without wildcard DNS need it.
	PathStyle bool
	// AccessKeyID and SecretAccessKey: both empty means the SDK's default chain
	// (environment, shared files, instance role).
	AccessKeyID     string
	SecretAccessKey string
	// RootCAs replaces the system roots for the endpoint's TLS (a private CA); nil is the
	// system roots.
	RootCAs *x509.CertPool
	// HTTPClient replaces the SDK's client for S3 requests (tests). It is set on the S3
	// client only, not handed to config.LoadDefaultConfig, which fails on a plain
	// *http.Client whenever AWS_CA_BUNDLE is set.
	HTTPClient *http.Client
	// MaxAttempts per request, retries included; 0 is the SDK's default (3).
	MaxAttempts int
	// PageSize is the keys per ListObjectsV2 page and per DeleteObjects batch; 0 (or more
	// than 1000) is 1000. Tests make it small.
	PageSize int32
}

// Store is one bucket. It is safe for concurrent use.
type Store struct {
	s3       *s3.Client
	tm       *transfermanager.Client
	bucket   string
	pageSize int32
	secrets  []string
}

// abortTimeout bounds the clean-up after a failed upload, which runs on a fresh context
// so that a cancelled upload is still aborted.
const abortTimeout = 30 * time.Second

// New checks c and makes the clients; it does not contact the store (see Canary).
func New(ctx context.Context, c Config) (*Store, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		// The SDK's own warnings (an IMDS fallback while looking for credentials) would go
		// to stderr past the bot's log; what matters comes back as errors.
		config.WithLogger(logging.Nop{}),
	}
	region := c.Region
	if region == "" && c.Endpoint != "" {
		region = "us-east-1"
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")))
	}
	if c.HTTPClient == nil {
		bc := awshttp.NewBuildableClient()
		if c.RootCAs != nil {
			bc = bc.WithTransportOptions(func(tr *http.Transport) {
				if tr.TLSClientConfig == nil {
					tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				// A clone: AWS_CA_BUNDLE, if set, is appended to this pool.
				tr.TLSClientConfig.RootCAs = c.RootCAs.Clone()
			})
		}
		opts = append(opts, config.WithHTTPClient(bc))
	}
	secrets := []string{c.AccessKeyID, c.SecretAccessKey}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &Error{Msg: "cannot load the AWS configuration", Hint: "check the AWS_* environment and ~/.aws files", Err: err, secrets: secrets}
	}
	if cfg.Region == "" {
		return nil, &Error{Msg: "no S3 region", Hint: "set region (or AWS_REGION)", secrets: secrets}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = c.PathStyle
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if c.HTTPClient != nil {
			o.HTTPClient = c.HTTPClient
		}
		if c.MaxAttempts > 0 {
			o.RetryMaxAttempts = c.MaxAttempts
		}
	})
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		// Takes precedence over the client's setting (transfermanager v0.3.0+).
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.FailTimeout = abortTimeout
	})
	ps := c.PageSize
	if ps <= 0 || ps > 1000 {
		ps = 1000
	}
	return &Store{s3: client, tm: tm, bucket: c.Bucket, pageSize: ps, secrets: secrets}, nil
}

func (c Config) validate() error {
	var problems []string
	if c.Bucket == "" {
		problems = append(problems, "bucket is empty")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("endpoint %q is not a URL", c.Endpoint))
		case u.Scheme != "http" && u.Scheme != "https":
			problems = append(problems, fmt.Sprintf("endpoint %q must start with https:// (or http://)", c.Endpoint))
		case u.Host == "":
			problems = append(problems, fmt.Sprintf("endpoint %q has no host", c.Endpoint))
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		problems = append(problems, "access_key_id and secret_access_key go together: give both, or neither for the AWS default chain")
	}
	if len(problems) == 0 {
		return nil
	}
	// The endpoint could hold user:password@; it is the admin's own config, shown to them.
	return &Error{Msg: "invalid S3 settings: " + strings.Join(problems, "; "), secrets: []string{c.AccessKeyID, c.SecretAccessKey}}
}

// where names prefix in messages.
func (s *Store) where(prefix string) string {
	if prefix == "" {
		return fmt.Sprintf("bucket %q", s.bucket)
	}
	return fmt.Sprintf("%q", prefix)
}

// Bucket is the store's bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Object describes a stored object.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
	ETag     string // without quotes
}

// Put stores a small object (a manifest) in one request.
func (s *Store) Put(ctx context.Context, key string, data []byte, contentType string) error {
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	if contentType != "" {
		in.ContentType = &contentType
	}
	if _, err := s.s3.PutObject(ctx, in); err != nil {
		return s.describe("storing "+key, err)
	}
	return nil
}

// Head describes key; the error is ErrNotFound (errors.Is) when it does not exist.
func (s *Store) Head(ctx context.Context, key string) (Object, error) {
	out, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return Object{}, s.describe("S3 object "+key, err)
	}
	return Object{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		Modified: aws.ToTime(out.LastModified),
		ETag:     strings.Trim(aws.ToString(out.ETag), `"`),
	}, nil
}

// Get opens key for reading and returns its size; the caller closes the reader.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, 0, s.describe("S3 object "+key, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// List calls fn for each object under prefix, in key order, one ListObjectsV2 page at a
// time. An error from fn stops the listing and is returned as is.
func (s *Store) List(ctx context.Context, prefix string, fn func(Object) error) error {
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{
		Bucket:  &s.bucket,
		Prefix:  &prefix,
		MaxKeys: aws.Int32(s.pageSize),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.describe("listing "+s.where(prefix), err)
		}
		for _, o := range page.Contents {
			err := fn(Object{
				Key:      aws.ToString(o.Key),
				Size:     aws.ToInt64(o.Size),
				Modified: aws.ToTime(o.LastModified),
				ETag:     strings.Trim(aws.ToString(o.ETag), `"`),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// KeyError is one object that DeleteObjects did not delete.
type KeyError struct {
	Key, Code, Message string
}

// DeleteError lists the objects Delete could not delete; the others are gone.
type DeleteError struct {
	Failed []KeyError
	Total  int
}

func (e *DeleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "S3 did not delete %d of %d objects:", len(e.Failed), e.Total)
	for i, f := range e.Failed {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(e.Failed)-i)
			break
		}
		fmt.Fprintf(&b, " %s (%s: %s)", f.Key, f.Code, f.Message)
	}
	return b.String()
}

// Safe is the text to show the admin.
func (e *DeleteError) Safe() string {
	if len(e.Failed) == 0 {
		return "S3 did not delete some objects"
	}
	return fmt.Sprintf("S3 did not delete %d of %d objects (first: %s, %s)", len(e.Failed), e.Total, e.Failed[0].Key, e.Failed[0].Code)
}

// Delete removes keys with DeleteObjects, PageSize keys per request. Objects already
// absent count as deleted. Keys S3 refuses come back in a *DeleteError after every batch
// was tried; a failed request stops at once.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	var failed []KeyError
	for start := 0; start < len(keys); start += int(s.pageSize) {
		batch := keys[start:min(start+int(s.pageSize), len(keys))]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i := range batch {
			ids[i] = types.ObjectIdentifier{Key: &batch[i]}
		}
		out, err := s.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &s.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		}, withContentMD5)
		if err != nil {
			e := s.describe(fmt.Sprintf("deleting %d objects", len(keys)), err)
			if start > 0 {
				e.Msg += fmt.Sprintf(" (after deleting %d)", start)
			}
			return e
		}
		for _, f := range out.Errors {
			if aws.ToString(f.Code) == "NoSuchKey" {
				continue
			}
			failed = append(failed, KeyError{Key: aws.ToString(f.Key), Code: aws.ToString(f.Code), Message: aws.ToString(f.Message)})
		}
	}
	if len(failed) > 0 {
		return &DeleteError{Failed: failed, Total: len(keys)}
	}
	return nil
}

// withContentMD5 adds Content-MD5 to a request's body. The SDK sends only a CRC32 on
// DeleteObjects since service/s3 v1.73.0, and S3 (general purpose buckets) and several
// compatible stores require Content-MD5 there (aws/aws-sdk-go-v2#3258,
// benbjohnson/litestream#808).
func withContentMD5(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Build.Add(middleware.BuildMiddlewareFunc("tootopsContentMD5",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok || req.Header.Get("Content-MD5") != "" {
					return next.HandleBuild(ctx, in)
				}
				if r := req.GetStream(); r != nil {
					body, err := io.ReadAll(r)
					if err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("reading the request body for Content-MD5: %w", err)
					}
					sum := md5.Sum(body)
					req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
					if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
						return middleware.BuildOutput{}, middleware.Metadata{}, err
					}
					in.Request = req
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	})
}

// PendingUploads lists the keys of the multipart uploads under prefix that were neither
// completed nor aborted, one entry per upload.
func (s *Store) PendingUploads(ctx context.Context, prefix string) ([]string, error) {
	ups, err := s.pending(ctx, prefix)
	if err != nil {
		return nil, s.describe("listing incomplete uploads in "+s.where(prefix), err)
	}
	keys := make([]string, len(ups))
	for i, u := range ups {
		keys[i] = u.key
	}
	return keys, nil
}

type pendingUpload struct{ key, id string }

func (s *Store) pending(ctx context.Context, prefix string) ([]pendingUpload, error) {
	var (
		ups               []pendingUpload
		keyMarker, idMark *string
	)
	for {
		out, err := s.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
			Bucket:         &s.bucket,
			Prefix:         &prefix,
			KeyMarker:      keyMarker,
			UploadIdMarker: idMark,
			MaxUploads:     aws.Int32(s.pageSize),
		})
		if err != nil {
			return nil, err
		}
		for _, u := range out.Uploads {
			ups = append(ups, pendingUpload{key: aws.ToString(u.Key), id: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(out.IsTruncated) || (aws.ToString(out.NextKeyMarker) == aws.ToString(keyMarker) &&
			aws.ToString(out.NextUploadIdMarker) == aws.ToString(idMark)) {
			return ups, nil
		}
		keyMarker, idMark = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// hasCode reports whether err carries the S3 error code.
func hasCode(err error, code string) bool {
	var api interface{ ErrorCode() string }
	return errors.As(err, &api) && api.ErrorCode() == code
}

// AbortPending aborts every incomplete multipart upload under prefix, such as one a
// crash of the bot left behind (the store bills its parts until a lifecycle rule or an
// abort removes them). Only the owner of prefix may call it: an upload in progress there
// would be aborted too. It returns how many it aborted.
func (s *Store) AbortPending(ctx context.Context, prefix string) (int, error) {
	ups, err := s.pending(ctx, prefix)
	if err != nil {
		return 0, s.describe("listing incomplete uploads in "+s.where(prefix), err)
	}
	n := 0
	seen := map[string]bool{}
	for _, u := range ups {
		if seen[u.key] {
			continue
		}
		seen[u.key] = true
		if err := s.abandon(u.key, u.id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
