package mastodonsim

import (
	"fmt"
	"net/http"
)

// apiError is an error answer: HTTP status, message and extra fields.
type apiError struct {
	status int
	msg    string
	extra  map[string]any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

// validation is a 422 as Api::BaseController renders RecordInvalid.
func validation(msg string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: "Validation failed: " + msg}
}

// Error answers shared by several endpoints, with Mastodon's messages.
var (
	errNotFound   = &apiError{status: http.StatusNotFound, msg: "Record not found"}
	errForbidden  = &apiError{status: http.StatusForbidden, msg: "This action is not allowed"}
	errRateLimit  = &apiError{status: http.StatusTooManyRequests, msg: "Too many requests"}
	errReplyTo404 = &apiError{status: http.StatusNotFound, msg: "The post you are trying to reply to does not appear to exist."}
)
