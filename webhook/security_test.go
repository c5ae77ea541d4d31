package webhook

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With HTTP/2 off (the default), a client that will speak only h2 is
// refused in the handshake, and one that skips ALPN and sends the HTTP/2
// preface anyway gets an HTTP/1.1 refusal, never an HTTP/2 session.
func TestHTTP2CannotBeForced(t *testing.T) {
	ts := startServer(t, nil)
	if conn, err := ts.dialTLS(&tls.Config{NextProtos: []string{"h2"}}); err == nil {
		p := conn.ConnectionState().NegotiatedProtocol
		conn.Close()
		t.Fatalf("an h2-only client was accepted (negotiated %q)", p)
	} else if !strings.Contains(err.Error(), "no application protocol") {
		t.Fatalf("h2-only client: %v, want the server's no-application-protocol alert", err)
	}

	conn, err := ts.dialTLS(&tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "" {
		t.Fatalf("negotiated %q without ALPN", p)
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to an HTTP/2 preface: %v", err)
	}
	resp.Body.Close()
	t.Logf("HTTP/2 preface answered %s %s", resp.Proto, resp.Status)
	if resp.ProtoMajor != 1 || resp.StatusCode < 400 {
		t.Fatalf("HTTP/2 preface answered %s %d, want an HTTP/1.1 refusal", resp.Proto, resp.StatusCode)
	}
}
