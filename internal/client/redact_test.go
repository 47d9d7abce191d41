package client

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// otherKey is a Horizon key that is not the client's: a server that quotes
// another caller's key leaks it just as much.
const otherKey = "fmcp_AnotherCallersKeyThatMustNotLeak0000000000"

// TestServerWordsAreRedacted is the hostile server of the attack: its 400
// echoed the Authorization header, and the key reached the plan's output.
// Every way a server's words reach an error is masked: the message, the
// details (a JSON escape too), the code, and the text of a malformed
// response that net/http quotes.
func TestServerWordsAreRedacted(t *testing.T) {
	t.Parallel()
	echo := "bad key Bearer " + testAPIKey + "; also " + otherKey
	srv, _ := scriptedServer(t,
		reply{status: http.StatusBadRequest, body: errorBody(api.CodeInvalidRequest, echo, map[string]any{
			"field":    "Authorization",
			"header":   "Bearer " + testAPIKey,
			testAPIKey: []any{otherKey, map[string]any{"nested": echo}},
		})},
		reply{status: http.StatusBadRequest, body: `{"error":{"code":"` + otherKey + `","message":"\u0066mcp_EscapedKeyThatMustNotLeak000000000000","details":{"escaped":"\u0066mcp_EscapedKeyThatMustNotLeak000000000000"}}}`},
	)
	c := newTestClient(t, srv.URL)
	for range 2 {
		_, err := c.GetServiceAccount(t.Context(), "sa_a")
		apiErr, ok := AsAPIError(err)
		if !ok {
			t.Fatalf("err = %v, want an APIError", err)
		}
		for _, text := range []string{err.Error(), apiErr.Message, apiErr.Code, string(apiErr.Details)} {
			for _, secret := range []string{testAPIKey, otherKey, "EscapedKeyThatMustNotLeak", strings.TrimPrefix(testAPIKey, "fmcp_")} {
				if strings.Contains(text, secret) {
					t.Errorf("%q holds a key", text)
				}
			}
		}
		if !strings.Contains(err.Error(), "fmcp_REDACTED") {
			t.Errorf("error %q does not show where a key was masked", err)
		}
	}
	// The details still decode: only their strings changed.
	srv2, _ := scriptedServer(t, reply{status: http.StatusBadRequest, body: errorBody(api.CodeInvalidRequest, "x", map[string]any{"field": "name", "echo": testAPIKey})})
	_, err := newTestClient(t, srv2.URL).GetServiceAccount(t.Context(), "sa_a")
	if apiErr, _ := AsAPIError(err); apiErr == nil || apiErr.Field() != "name" {
		t.Errorf("Field() after redaction = %v", err)
	}
}

// TestRedactsTheConfiguredKeyWhateverItsShape: the provider only checks the
// prefix of its key, so a key outside the shape is masked by its value.
func TestRedactsTheConfiguredKeyWhateverItsShape(t *testing.T) {
	t.Parallel()
	const oddKey = "fmcp_odd/key\"with~chars"
	srv, _ := scriptedServer(t, reply{status: http.StatusBadRequest, body: errorBody(api.CodeInvalidRequest, "bad key "+oddKey, nil)})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.APIKey = oddKey })
	_, err := c.GetServiceAccount(t.Context(), "sa_a")
	if err == nil || strings.Contains(err.Error(), "key\"with") || strings.Contains(err.Error(), "odd/") {
		t.Errorf("error %v quotes the configured key", err)
	}
}

// TestMalformedResponseIsRedacted: net/http quotes a malformed status line in
// its error, so a server can put a key into a transport error too.
func TestMalformedResponseIsRedacted(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = http.ReadRequest(bufio.NewReader(conn))
				_, _ = conn.Write([]byte("HTTP/1.1 " + testAPIKey + "\r\n\r\n"))
			}()
		}
	}()
	c := newTestClient(t, "http://"+ln.Addr().String(), maxRetries(0))
	_, err = c.GetServiceAccount(t.Context(), "sa_a")
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if strings.Contains(err.Error(), strings.TrimPrefix(testAPIKey, "fmcp_")) {
		t.Errorf("transport error %q quotes the key", err)
	}
}

// TestResponseOverTheSizeLimit: a body larger than the client reads used to
// be cut off and fail as "unexpected end of JSON input".
func TestResponseOverTheSizeLimit(t *testing.T) {
	t.Parallel()
	huge := `{"id":"sa_a","name":"` + strings.Repeat("a", maxResponseBytes) + `"}`
	atLimit := `{"id":"sa_a","name":"` + strings.Repeat("a", maxResponseBytes-len(`{"id":"sa_a","name":""}`)) + `"}`
	srv, _ := scriptedServer(t, reply{status: http.StatusOK, body: huge}, reply{status: http.StatusOK, body: atLimit})
	c := newTestClient(t, srv.URL)
	_, err := c.GetServiceAccount(t.Context(), "sa_a")
	var tooLarge *ResponseTooLargeError
	if !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "larger than 16 MiB") || strings.Contains(err.Error(), "unexpected end") {
		t.Fatalf("err = %v, want one that says the response is over the limit", err)
	}
	if _, err := c.GetServiceAccount(t.Context(), "sa_a"); err != nil {
		t.Fatalf("a response of exactly the limit: %v", err)
	}
}
