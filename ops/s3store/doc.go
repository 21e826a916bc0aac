// Package s3store is where backups are stored: an S3 bucket on AWS or on an S3-compatible
// service (DigitalOcean Spaces, MinIO, versitygw…), reached with aws-sdk-go-v2.
//
// Three choices run through it:
//
//   - Checksums are WhenRequired everywhere: on the client (request and response) and on
//     the transfer manager's own option, which overrides the client's. Since service/s3
//     v1.73.0 (2025-01-15) the SDK adds CRC32 checksums by default, which S3-compatible
//     stores such as Spaces have refused (aws/aws-sdk-go-v2#2960, #3007). Backups carry an
//     end-to-end SHA-256 of their own instead, and Canary proves the endpoint works.
//   - DeleteObjects carries a Content-MD5 header, which the SDK stopped sending
//     (aws/aws-sdk-go-v2#3258) and some stores still require (benbjohnson/litestream#808).
//   - Upload streams a body of unknown length with feature/s3/transfermanager and
//     completes only at io.EOF; on any failure it aborts the multipart upload itself with
//     a fresh context and checks that none is left, because an abort sent on the
//     cancelled context would leave the parts billed until the store purges them.
//
// Errors are *Error values: Msg and Hint read well to an admin, Err keeps the SDK error
// for errors.As, and neither the text nor the hint ever holds the access key or secret.
package s3store
