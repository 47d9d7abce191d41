package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// withTimeouts shortens the HTTP server's timeouts, so tests can play the
// slow client.
func withTimeouts(t httpTimeouts) Option { return func(c *config) { c.timeouts = t } }

// paddedBody is a valid request body of exactly n bytes: a JSON object
// followed by spaces.
func paddedBody(t *testing.T, object string, n int) string {
	t.Helper()
	if len(object) > n {
		t.Fatalf("%q is longer than %d bytes", object, n)
	}
	return object + strings.Repeat(" ", n-len(object))
}

// onlyReader hides a reader's type, so net/http cannot learn the body's
// length and sends it chunked, without a Content-Length.
type onlyReader struct{ io.Reader }

// TestBodyLimit checks the 64 KiB limit on both sides of the boundary, with a
// Content-Length and chunked, on the API and on the MCP endpoint.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := mcpPathPrefix + e.serverID("weather")
	tooLarge := map[string]any{"limit_bytes": maxBodyBytes}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			send := func(path, body string) response {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, e.srv.URL()+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if chunked {
					req.Body, req.ContentLength = io.NopCloser(onlyReader{strings.NewReader(body)}), -1
				}
				req.Header.Set("Authorization", "Bearer "+e.srv.BootstrapKey())
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", mcpAccept)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return response{t: t, status: resp.StatusCode, header: resp.Header, body: raw}
			}
			name := fmt.Sprintf("big-%v", chunked)
			send(saCollection, paddedBody(t, `{"name":"`+name+`"}`, maxBodyBytes)).want(http.StatusCreated)
			send(saCollection, paddedBody(t, `{"name":"`+name+`-2"}`, maxBodyBytes+1)).
				wantError(http.StatusRequestEntityTooLarge, "payload_too_large", tooLarge)

			send(weather, paddedBody(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, maxBodyBytes)).want(http.StatusOK)
			send(weather, paddedBody(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, maxBodyBytes+1)).
				wantRPCError(http.StatusRequestEntityTooLarge, -33413, map[string]any{"reason": "payload_too_large", "limit_bytes": maxBodyBytes})
		})
	}
	var list serviceAccountListJSON
	e.owner.do(http.MethodGet, saCollection, nil).want(http.StatusOK).decode(&list)
	if len(list.ServiceAccounts) != 2 {
		t.Errorf("%d service accounts, want the two bodies within the limit", len(list.ServiceAccounts))
	}
}

// TestHeaderLimit sends headers around MaxHeaderBytes to the real listener:
// net/http answers 431 above the limit (plus its 4 KiB of slack).
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(padding int) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.srv.URL()+"/api/v0/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.srv.BootstrapKey())
		req.Header.Set("X-Padding", strings.Repeat("p", padding))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", padding, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := get(maxHeaderBytes - 1024); status != http.StatusOK {
		t.Errorf("headers under the limit: status %d, want 200", status)
	}
	if status := get(maxHeaderBytes + 8<<10); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("headers over the limit: status %d, want 431", status)
	}
}

// TestLengthLimits walks each length limit of API.md at the boundary and one
// past it. Lengths count characters, not bytes, so most values use a
// two-byte character.
func TestLengthLimits(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	saID := e.createSA("target", api.RoleMember)
	keyID := e.createKey(saID, "k").ID
	weather := e.serverID("weather")
	repeat := strings.Repeat
	tests := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		header []string
		field  string // empty: accepted
	}{
		{"sa name 64", "POST", saCollection, map[string]any{"name": repeat("a", 64)}, nil, ""},
		{"sa name 65", "POST", saCollection, map[string]any{"name": repeat("b", 65)}, nil, "name"},
		{"sa name 1", "POST", saCollection, map[string]any{"name": "c"}, nil, ""},
		{"sa name empty", "POST", saCollection, map[string]any{"name": ""}, nil, "name"},
		{"sa description 1024", "POST", saCollection, map[string]any{"name": "d", "description": repeat("é", 1024)}, nil, ""},
		{"sa description 1025", "POST", saCollection, map[string]any{"name": "e", "description": repeat("é", 1025)}, nil, "description"},
		{"patch sa name 64", "PATCH", saPath(saID), map[string]any{"name": repeat("f", 64)}, nil, ""},
		{"patch sa name 65", "PATCH", saPath(saID), map[string]any{"name": repeat("f", 65)}, nil, "name"},
		{"patch sa description 1024", "PATCH", saPath(saID), map[string]any{"description": repeat("é", 1024)}, nil, ""},
		{"patch sa description 1025", "PATCH", saPath(saID), map[string]any{"description": repeat("é", 1025)}, nil, "description"},
		{"key name 128", "PATCH", keyPath(saID, keyID), map[string]any{"name": repeat("é", 128)}, nil, ""},
		{"key name 129", "PATCH", keyPath(saID, keyID), map[string]any{"name": repeat("é", 129)}, nil, "name"},
		{"new key name 129", "POST", saPath(saID, "/api-keys"), map[string]any{"name": repeat("é", 129)}, nil, "name"},
		{"new key name 128", "POST", saPath(saID, "/api-keys"), map[string]any{"name": repeat("é", 128)}, nil, ""},
		{"server name 64", "POST", serverCollection, map[string]any{"name": repeat("é", 64), "slug": "s1"}, nil, ""},
		{"server name 65", "POST", serverCollection, map[string]any{"name": repeat("é", 65), "slug": "s2"}, nil, "name"},
		{"server slug 63", "POST", serverCollection, map[string]any{"name": "S3", "slug": repeat("s", 63)}, nil, ""},
		{"server slug 64", "POST", serverCollection, map[string]any{"name": "S4", "slug": repeat("t", 64)}, nil, "slug"},
		{"server description 1024", "POST", serverCollection, map[string]any{"name": "S5", "slug": "s5", "description": repeat("é", 1024)}, nil, ""},
		{"server description 1025", "POST", serverCollection, map[string]any{"name": "S6", "slug": "s6", "description": repeat("é", 1025)}, nil, "description"},
		{"capabilities 3", "PUT", grantPath(saID, weather), map[string]any{"role": "user", "capabilities": []string{"prompts", "tools", "resources"}}, nil, ""},
		{"capabilities 4", "PUT", grantPath(saID, weather), map[string]any{"role": "user", "capabilities": []string{"prompts", "tools", "resources", "tools"}}, nil, "capabilities"},
		{"capabilities 0", "PUT", grantPath(saID, weather), map[string]any{"role": "user", "capabilities": []string{}}, nil, "capabilities"},
		{"Idempotency-Key 255", "POST", saCollection, map[string]any{"name": "g"}, []string{"Idempotency-Key", repeat("k", 255)}, ""},
		{"Idempotency-Key 256", "POST", saCollection, map[string]any{"name": "h"}, []string{"Idempotency-Key", repeat("k", 256)}, "Idempotency-Key"},
		{"Idempotency-Key 1", "POST", saCollection, map[string]any{"name": "i"}, []string{"Idempotency-Key", "k"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client(e.srv.BootstrapKey())
			c.t = t
			res := c.do(tt.method, tt.path, tt.body, tt.header...)
			if tt.field != "" {
				res.wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": tt.field})
				return
			}
			if res.status != http.StatusOK && res.status != http.StatusCreated {
				t.Fatalf("status %d, want success: %s", res.status, res.body)
			}
		})
	}
}

// TestSlowClientsCannotHoldTheServer plays a client that stalls in the
// headers, in the body, and between requests: the server lets go of each
// after its timeout.
func TestSlowClientsCannotHoldTheServer(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	e := newTestEnv(t, withTimeouts(httpTimeouts{readHeader: timeout, read: 2 * timeout, idle: timeout}))
	dial := func() net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		// A safety net: a server that never lets go fails the test
		// instead of hanging it.
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		return conn
	}
	wantClosed := func(conn net.Conn, what string) {
		t.Helper()
		start := time.Now()
		if _, err := io.ReadAll(conn); err != nil {
			t.Errorf("%s: the server did not close the connection: %v", what, err)
		}
		if waited := time.Since(start); waited > 5*time.Second {
			t.Errorf("%s: the server held the connection for %v", what, waited)
		}
	}
	auth := "Authorization: Bearer " + e.srv.BootstrapKey() + "\r\n"

	t.Run("headers", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "GET /api/v0/me HTTP/1.1\r\nHost: horizon\r\n")
		wantClosed(conn, "stalled headers")
	})

	t.Run("body", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "POST "+saCollection+" HTTP/1.1\r\nHost: horizon\r\n"+auth+"Content-Length: 100\r\n\r\n{\"name\":")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no response to a stalled body: %v", err)
		}
		defer resp.Body.Close()
		var body errorResponse
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusRequestTimeout || body.Error.Code != "request_timeout" {
			t.Errorf("stalled body: status %d, code %q (%v); want 408 request_timeout", resp.StatusCode, body.Error.Code, err)
		}
		if n := len(e.srv.Store().Snapshot().ServiceAccounts); n != 0 {
			t.Errorf("a stalled request created %d service accounts", n)
		}
		if strings.Contains(e.logs.String(), "status=500") {
			t.Errorf("a slow client was logged as a server fault:\n%s", e.logs)
		}
	})

	t.Run("idle", func(t *testing.T) {
		conn := dial()
		fmt.Fprint(conn, "GET /api/v0/me HTTP/1.1\r\nHost: horizon\r\n"+auth+"\r\n")
		reader := bufio.NewReader(conn)
		resp, err := http.ReadResponse(reader, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if _, err := reader.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("idle keep-alive connection: read %v, want the server to close it", err)
		}
	})
}

// TestBodyReadErrors: a body that is cut off or badly chunked is the
// client's fault (400), never a server fault.
func TestBodyReadErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	auth := "Authorization: Bearer " + e.srv.BootstrapKey() + "\r\n"
	for name, raw := range map[string]string{
		"bad chunk size": "POST " + saCollection + " HTTP/1.1\r\nHost: h\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
		"bad chunk end":  "POST " + saCollection + " HTTP/1.1\r\nHost: h\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprint(conn, raw)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			response{t: t, status: resp.StatusCode, header: resp.Header, body: raw}.wantError(http.StatusBadRequest, "invalid_request", nil)
		})
	}
	if strings.Contains(e.logs.String(), "status=500") {
		t.Errorf("a broken body was logged as a server fault:\n%s", e.logs)
	}
}
