package s3store

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// TestDescribeRedacts covers stores that echo the access key in their error message (AWS
// puts it in SignatureDoesNotMatch's body; some stores in the message itself).
func TestDescribeRedacts(t *testing.T) {
	s := &Store{bucket: "b", secrets: []string{"AKIAECHOED0000000000", "echoed/secret+key", "", "abc"}}
	api := &smithy.GenericAPIError{Code: "SignatureDoesNotMatch", Message: "key AKIAECHOED0000000000 signed with echoed/secret+key, abc"}
	err := s.describe("storing k", &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: api})
	for _, text := range []string{err.Error(), err.Safe()} {
		if strings.Contains(text, "AKIAECHOED") || strings.Contains(text, "echoed/secret") {
			t.Errorf("not redacted: %s", text)
		}
	}
	if !strings.Contains(err.Error(), "key [redacted] signed with [redacted], abc") {
		t.Errorf("Error() = %s", err)
	}
	var got smithy.APIError
	if !errors.As(err, &got) || got != api || !errors.Is(err, ErrCredentials) {
		t.Errorf("the SDK error or the sentinel is lost: %#v", err)
	}
}
