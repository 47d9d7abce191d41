package server

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// TestLogsHoldNoSecrets drives every path that logs (the access log of API
// and MCP requests, refusals, a key pasted into a path, a panic whose value
// quotes the caller's key) and looks for every secret in the output.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	weather := e.serverID("weather")
	saID := e.createSA("ci", api.RoleMember)
	key := e.createKey(saID, "k")
	e.grant(saID, weather, api.ServerRoleUser)
	var created api.CreatedServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ui", "create_key": true}, "Idempotency-Key", "idem-logs-7f3a").
		want(http.StatusCreated).decode(&created)
	caller := e.client(key.Secret)

	caller.mcp(weather, "tools/call", map[string]any{"name": "echo", "arguments": map[string]any{"text": key.Secret}}).want(http.StatusOK)
	caller.mcp(weather, "prompts/get", map[string]any{"name": "summarize", "arguments": map[string]any{"text": key.Secret}}).want(http.StatusOK)
	caller.mcpPost(weather, `{"jsonrpc":"2.0","id":"`+key.Secret+`","method":"ping"}`).want(http.StatusOK)
	caller.mcpPost(key.Secret, `{"jsonrpc":"2.0","id":1,"method":"ping"}`).want(http.StatusNotFound)
	caller.do(http.MethodGet, "/api/v0/"+key.Secret+"/x?key="+key.Secret, nil).want(http.StatusNotFound)
	e.client(key.Secret+"x").mcp(weather, "ping", nil).want(http.StatusUnauthorized)
	e.client("Basic "+key.Secret).do(http.MethodGet, "/api/v0/me", nil).want(http.StatusUnauthorized)

	// A panic whose value quotes the request's credential.
	handler := e.srv.observe(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		panic("boom: " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	req := httptest.NewRequest(http.MethodPost, mcpPathPrefix+weather, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	handler.ServeHTTP(httptest.NewRecorder(), req)

	logs := e.logs.String()
	for name, secret := range map[string]string{
		"bootstrap key":   e.srv.BootstrapKey(),
		"created secret":  key.Secret,
		"initial secret":  created.APIKey.Secret,
		"random part":     strings.TrimPrefix(key.Secret, "fmcp_"),
		"Idempotency-Key": "idem-logs-7f3a",
		"Authorization":   "Bearer",
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s:\n%s", name, logs)
		}
	}
	for _, want := range []string{"panic=\"boom: fmcp_REDACTED\"", "path=/mcp/fmcp_REDACTED status=404", "path=/api/v0/fmcp_REDACTED/x status=404"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
}

// TestRedactingHandler checks the last line of defence on its own: whatever
// shape a log call has, no key reaches the output.
func TestRedactingHandler(t *testing.T) {
	t.Parallel()
	const secret = "fmcp_AbCdEfGh0123456789-_abcdefghijklmnopqrstu"
	const bootstrap = "fmcp_chosen-by_a-user-0123"
	var out bytes.Buffer
	logger := slog.New(redactingHandler{slog.NewTextHandler(&out, nil)})
	logger.Info("message "+secret, "string", secret, "error", fmt.Errorf("wrapped: %w", errors.New(secret)),
		slog.Group("inner", "value", secret, "any", []string{bootstrap}), "bytes", json.RawMessage(`"`+secret+`"`), "text", textValue(secret))
	logger.With("with", secret).WithGroup("g").Warn("x", "k", bootstrap)
	slog.NewLogLogger(logger.Handler(), slog.LevelWarn).Printf("http: error serving %s", secret)
	for _, s := range []string{secret, strings.TrimPrefix(secret, "fmcp_"), "chosen", "user-0123"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("the output holds %q:\n%s", s, out.String())
		}
	}
	if got := strings.Count(out.String(), "fmcp_REDACTED"); got != 10 {
		t.Errorf("%d redactions, want 10:\n%s", got, out.String())
	}
}

// textValue is printed by its MarshalText.
type textValue string

func (v textValue) MarshalText() ([]byte, error) { return []byte(v), nil }

// TestSnapshotHoldsNoSecret creates secrets by every path, with and without
// an Idempotency-Key, and searches everything stored for them in any
// encoding a careless store might use.
func TestSnapshotHoldsNoSecret(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	idempotencyKeys := []string{"idem-sa-9c1b7e", "idem-key-4d2f8a", "idem-srv-0b6e3c"}
	var withInitial api.CreatedServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ui", "create_key": true}, "Idempotency-Key", idempotencyKeys[0]).
		want(http.StatusCreated).decode(&withInitial)
	var idempotent api.Key
	e.owner.do(http.MethodPost, saPath(withInitial.ID, "/api-keys"), map[string]any{"name": "b"}, "Idempotency-Key", idempotencyKeys[1]).
		want(http.StatusCreated).decode(&idempotent)
	e.owner.do(http.MethodPost, serverCollection, map[string]any{"name": "Billing", "slug": "billing"}, "Idempotency-Key", idempotencyKeys[2]).
		want(http.StatusCreated)
	plain := e.createKey(e.createSA("ci", api.RoleMember), "c")
	e.client(plain.Secret).do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)

	dump, err := json.Marshal(e.srv.Store().Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{e.srv.BootstrapKey(), withInitial.APIKey.Secret, idempotent.Secret, plain.Secret}
	for _, secret := range append(secrets, idempotencyKeys...) {
		for _, encoded := range []string{
			secret, strings.TrimPrefix(secret, "fmcp_"),
			base64.StdEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret)),
		} {
			if strings.Contains(string(dump), encoded) {
				t.Errorf("the store holds %.12s... in plaintext (as %.12s...)", secret, encoded)
			}
		}
	}
	if n := len(e.srv.Store().Snapshot().IdempotencyRecords); n != len(idempotencyKeys) {
		t.Errorf("%d idempotency records, want %d", n, len(idempotencyKeys))
	}
}
