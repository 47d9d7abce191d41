package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// The attack that found it: connections that pipeline megabytes of requests
// and never read a byte of the responses stayed open past every read and idle
// timeout, each holding a goroutine and a file descriptor, because the
// server's write waited for them forever. These tests play it on loopback,
// bounded in connections (20) and in time: every connection ends within
// slowReaderBound, or the test fails.

// slowReaderBound is how long the server may take to let go of every
// attacking connection: far more than a write timeout of attackTimeouts, far
// less than forever.
const slowReaderBound = 30 * time.Second

var attackTimeouts = httpTimeouts{readHeader: time.Second, read: 2 * time.Second, write: 300 * time.Millisecond, idle: 2 * time.Second}

// withMaxConnections sets the cap of connections served at once.
func withMaxConnections(n int) Option { return func(c *config) { c.maxConnections = n } }

// slowReaders opens n connections that each write request, over and over, up
// to 8 MB, and never read. That is more than the socket buffers on both
// sides hold of the responses (Linux grows a loopback send buffer to 4 MB),
// so the server's writes stall. It returns once every writer has stopped:
// all written, or the connection broken by the server, or its own deadline
// passed; the connections stay open on the client's side until the test ends.
func slowReaders(t *testing.T, e *testEnv, n int, request string) {
	t.Helper()
	const perConnection = 8 << 20
	chunk := []byte(strings.Repeat(request, max(1, (64<<10)/len(request))))
	var wg sync.WaitGroup
	for range n {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		// A small receive window, so that the server's writes stall after
		// little: the attack is the same, its cost to the test smaller.
		_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
		// The writer's own safety net: once the server stops reading, the
		// client's writes stall too.
		_ = conn.SetWriteDeadline(time.Now().Add(slowReaderBound))
		wg.Go(func() {
			for written := 0; written < perConnection; written += len(chunk) {
				if _, err := conn.Write(chunk); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}

// waitForConnections waits until the server holds no connection, and fails
// the test if that takes longer than slowReaderBound.
func waitForConnections(t *testing.T, e *testEnv, what string) {
	t.Helper()
	deadline := time.Now().Add(slowReaderBound)
	for e.srv.conns.open.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the server still holds %d connections after %v", what, e.srv.conns.open.Load(), slowReaderBound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noKeyRequest is the keyless attack's request: a 404 whose message quotes
// its long path, so that each request asks for a response as large as
// itself and the server's writes stall after a few hundred of them, not
// after tens of thousands.
var noKeyRequest = "GET /" + strings.Repeat("x", 8<<10) + " HTTP/1.1\r\nHost: horizon\r\n\r\n"

func TestSlowReadersWithoutKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withTimeouts(attackTimeouts))
	slowReaders(t, e, 20, noKeyRequest)
	waitForConnections(t, e, "20 pipelining connections without a key")
	wantServing(t, e)
}

func TestSlowReadersWithViewerKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withTimeouts(attackTimeouts))
	for i := range 20 {
		e.createSA(fmt.Sprintf("padding-%02d", i), api.RoleViewer)
	}
	viewer := e.actor(api.RoleViewer)
	slowReaders(t, e, 20, "GET "+saCollection+" HTTP/1.1\r\nHost: horizon\r\nAuthorization: Bearer "+viewer.key+"\r\n\r\n")
	waitForConnections(t, e, "20 pipelining connections with a viewer key")
	wantServing(t, e)
}

// TestConnectionCap: however many connections come, the server serves at
// most its cap at once; the others wait for a slot, and get one as the
// write timeout frees them.
func TestConnectionCap(t *testing.T) {
	t.Parallel()
	const limit = 5
	e := newTestEnv(t, withTimeouts(attackTimeouts), withMaxConnections(limit))
	slowReaders(t, e, 20, noKeyRequest)
	waitForConnections(t, e, "20 connections against a cap of 5")
	if peak := e.srv.conns.peak.Load(); peak > limit {
		t.Errorf("the server held %d connections at once, above its cap of %d", peak, limit)
	}
	wantServing(t, e)
}

// wantServing: after an attack, the server answers as before.
func wantServing(t *testing.T, e *testEnv) {
	t.Helper()
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
}

// TestWriteTimeoutStartsAfterTheHolds: a response held on purpose
// (WithLatency, WithCommitLatency) far longer than the write timeout is still
// delivered whole, because its write clock starts when the hold ends.
func TestWriteTimeoutStartsAfterTheHolds(t *testing.T) {
	t.Parallel()
	hold := 4 * attackTimeouts.write
	for name, opt := range map[string]Option{"latency": WithLatency(hold), "commit latency": WithCommitLatency(hold)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, withTimeouts(attackTimeouts), opt)
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"name":"held"}`
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: horizon\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				saCollection, e.srv.BootstrapKey(), len(body), body)
			_ = conn.SetReadDeadline(time.Now().Add(slowReaderBound))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no response after a hold of %v with a write timeout of %v: %v", hold, attackTimeouts.write, err)
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d, body %s, err %v; want the whole 201", resp.StatusCode, data, err)
			}
		})
	}
}
