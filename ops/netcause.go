package ops

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// NetCause says, in an admin's terms, why a request got no answer: "cannot resolve
// social.example.coop", "connection refused by 10.0.0.5:443", "TLS: certificate signed
// by unknown authority", "no answer in time"; with a hint. ok is false when err is
// neither a network nor a TLS failure. The texts hold host names and addresses only.
func NetCause(err error) (cause, hint string, ok bool) {
	var (
		dns     *net.DNSError
		unknown x509.UnknownAuthorityError
		name    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		verr    *tls.CertificateVerificationError
		nerr    net.Error
	)
	switch {
	case err == nil:
		return "", "", false
	case errors.As(err, &dns) && dns.IsNotFound:
		return "cannot resolve " + dns.Name, "check the host name, and the DNS the bot's host uses", true
	case errors.As(err, &dns):
		return "cannot resolve " + dns.Name + ": " + dns.Err, "check the DNS the bot's host uses (/etc/resolv.conf)", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + remoteAddr(err), "nothing listens there: is the server running, and is the port right?", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to " + remoteAddr(err), "check the network and firewall of the bot's host", true
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by " + remoteAddr(err), "a proxy or firewall in between may cut the connection", true
	case errors.As(err, &unknown):
		return "TLS: certificate signed by unknown authority", "the server must send its whole chain; a private CA must be in the trust store of the bot's host (SSL_CERT_FILE)", true
	case errors.As(err, &name):
		return "TLS: the certificate is not valid for " + name.Host, "the certificate must name the host the bot connects to", true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "TLS: the certificate has expired or is not yet valid", "renew the certificate, and check the clock of the bot's host", true
	case errors.As(err, &invalid):
		return "TLS: invalid certificate: " + invalid.Error(), "the server's certificate chain must be valid for TLS servers", true
	case errors.As(err, &verr):
		return "TLS: the certificate was rejected", "the bot's log has the details", true
	case errors.As(err, &record), strings.Contains(err.Error(), plainHTTPAnswer):
		return "TLS: the server does not speak TLS there", "use http:// for a plain HTTP port, or the HTTPS port", true
	case errors.As(err, &alert):
		return "TLS: the server ended the handshake (" + alert.Error() + ")", "the server refuses the bot's TLS connection: check its TLS settings", true
	case errors.Is(err, context.Canceled):
		return "cancelled", "", true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "no answer in time", "is the server up? A firewall that drops packets looks the same", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection without answering", "a proxy or firewall in between, or a TLS port reached with http://", true
	}
	return "", "", false
}

// plainHTTPAnswer is net/http's error when an https:// request reaches a plain HTTP
// server: it replaces the tls.RecordHeaderError, so only its text tells.
const plainHTTPAnswer = "server gave HTTP response to HTTPS client"

// remoteAddr is the address a failed dial or read was talking to, as net.OpError
// records it.
func remoteAddr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	return "the server"
}
