// Package certs checks the TLS certificates of the hosts an instance depends on (the
// instance itself, the streaming host, the S3 endpoint) by connecting to them, the way a
// browser or another server would: the chain is verified against the system's roots plus
// any extra ones, and the name against the host asked for. A certificate that fails
// verification is still read, over a second connection that trusts nothing, so the report
// can say what the server presents and why it is wrong.
package certs
