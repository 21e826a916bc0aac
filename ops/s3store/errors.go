package s3store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tootops/tootops/ops"
)

// Sentinels for errors.Is.
var (
	// ErrNotFound: the object (or, for HeadObject, possibly the bucket) does not exist.
	ErrNotFound = errors.New("S3 object not found")
	// ErrTooManyParts: the stream outgrew PartSize × MaxParts.
	ErrTooManyParts = errors.New("upload exceeds the S3 part limit")
	// ErrBucketNotFound: the bucket does not exist.
	ErrBucketNotFound = errors.New("S3 bucket not found")
	// ErrCredentials: the store refused the credentials, or none were found.
	ErrCredentials = errors.New("S3 refused the credentials")
	// ErrUnreachable: no HTTP answer from the endpoint (DNS, connection, TLS).
	ErrUnreachable = errors.New("S3 endpoint unreachable")
	// ErrIncomplete: after a failed upload, an incomplete multipart upload could not be
	// aborted (or is still listed); its parts stay billed until a lifecycle rule removes them.
	ErrIncomplete = errors.New("incomplete multipart upload left behind")
)

// Error is a failure of the store. Msg and Hint are written for the admin and never carry
// a secret; Err keeps the SDK's error for the log and errors.As; Kind is the sentinel.
type Error struct {
	Msg  string
	Hint string
	Kind error
	Err  error

	secrets []string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return redact(s, e.secrets)
}

// Safe is the text to show the admin: Msg, then the hint.
func (e *Error) Safe() string {
	s := e.Msg
	if e.Hint != "" {
		s += " — " + e.Hint
	}
	return redact(s, e.secrets)
}

// Unwrap gives errors.Is and errors.As both the sentinel and the cause.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// redact replaces each secret in s. Secrets shorter than 4 characters are left alone:
// replacing them would mangle every message while hiding nothing.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

const (
	hintChecksum    = "the store may not accept the SDK's request format; check endpoint, path_style and region, and that the store supports multipart uploads"
	hintCredentials = "check access_key_id and secret_access_key (or the AWS_* environment when they are empty)"
)

// describe turns an SDK error into an *Error saying what failed; what names the attempt
// ("uploading pg/x.dump").
func (s *Store) describe(what string, err error) *Error {
	e := &Error{Err: err, secrets: s.secrets}
	var (
		api  smithy.APIError
		resp *smithyhttp.ResponseError
		send *smithyhttp.RequestSendError
	)
	status := 0
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	cause, hint, isNet := ops.NetCause(err)
	switch {
	case errors.Is(err, context.Canceled):
		e.Msg = what + " cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		e.Msg = what + " timed out"
	case errors.As(err, &api):
		e.describeAPI(s.bucket, what, api.ErrorCode(), status)
	case strings.Contains(err.Error(), "get identity"):
		// The SDK could not get credentials: the default chain found none. Before the network
		// cases: the chain's last try, EC2's metadata service, fails on the network.
		e.Msg, e.Kind = "no S3 credentials found", ErrCredentials
		e.Hint = "set access_key_id and secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case isNet || errors.As(err, &send):
		// The same words as for Mastodon and `bot check` (ops.NetCause), after what
		// the bot was reaching.
		if !isNet {
			cause, hint = "no answer", "check endpoint and the network"
		}
		if strings.HasPrefix(cause, "TLS: ") {
			hint = "check endpoint, or give ca_file for a private CA; " + hint
		}
		e.Msg, e.Kind, e.Hint = "S3 endpoint unreachable: "+cause, ErrUnreachable, hint
	default:
		e.Msg = what + " failed"
	}
	return e
}

func (e *Error) describeAPI(bucket, what, code string, status int) {
	switch code {
	case "NoSuchBucket":
		e.Msg, e.Kind = fmt.Sprintf("S3 bucket %q does not exist", bucket), ErrBucketNotFound
		e.Hint = "create it, or check bucket, endpoint and region"
	case "NoSuchKey", "NotFound":
		e.Msg, e.Kind = what+": not found", ErrNotFound
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
		"InvalidClientTokenId", "UnrecognizedClientException", "AuthorizationHeaderMalformed",
		"XAdminUserNotFound": // versitygw's answer to an unknown access key (HTTP 404)
		e.Msg, e.Kind = "S3 refused the credentials", ErrCredentials
		e.Hint = hintCredentials
	case "AccessDenied", "AllAccessDisabled", "Forbidden":
		e.Msg = fmt.Sprintf("S3 denied access to bucket %q", bucket)
		e.Hint = "check that the key may read, write, list and delete in this bucket; " + hintCredentials
	case "XAmzContentSHA256Mismatch", "InvalidDigest", "BadDigest", "MissingContentLength",
		"InvalidArgument", "NotImplemented", "InvalidRequest":
		e.Msg = fmt.Sprintf("%s: the S3 endpoint rejected the request (%s)", what, code)
		e.Hint = hintChecksum
	case "PermanentRedirect", "AuthorizationQueryParametersError", "IllegalLocationConstraintException":
		e.Msg = fmt.Sprintf("%s: wrong S3 region or endpoint for bucket %q (%s)", what, bucket, code)
		e.Hint = "check region, endpoint and path_style"
	default:
		if status >= 500 {
			e.Msg = fmt.Sprintf("%s: the S3 endpoint failed (%s, HTTP %d)", what, code, status)
			e.Hint = "the store had an internal error; try again later"
		} else {
			e.Msg = fmt.Sprintf("%s: S3 answered %s", what, code)
		}
	}
}
