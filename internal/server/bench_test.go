package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// BenchmarkAuthenticatedGET is the server's hot path in a refresh: authenticate
// the key, evaluate the role, read one service account, render it. It runs over
// a real loopback connection with keep-alive, next to BenchmarkBareNetHTTP, the
// same request answered by a bare net/http handler: their ratio is the server's
// overhead. Run both with -benchtime and compare the req/s metric.
func BenchmarkAuthenticatedGET(b *testing.B) {
	srv, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	owner := srv.BootstrapKey()
	saID := benchServiceAccount(b, srv, owner)
	benchRequest(b, srv.URL()+"/api/v0/organizations/current/service-accounts/"+saID, owner, nil)
}

// BenchmarkBareNetHTTP is the floor for BenchmarkAuthenticatedGET.
func BenchmarkBareNetHTTP(b *testing.B) {
	body := []byte(`{"id":"sa_aaaaaaaaaaaaaaaa","organization_id":"org_aaaaaaaaaaaaaaaa","name":"bench","description":"",` +
		`"role":"member","disabled":false,"created_at":"2026-11-23T11:00:00Z","updated_at":"2026-11-23T11:00:00Z"}` + "\n")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer ts.Close()
	benchRequest(b, ts.URL+"/api/v0/organizations/current/service-accounts/sa_aaaaaaaaaaaaaaaa", "fmcp_unused", nil)
}

// BenchmarkMCPToolCall is one tools/call of the echo tool as a stateless MCP
// client sends it, over a real loopback connection: Horizon's checks, an MCP
// server built for the caller's capabilities, and the SDK's request handling.
func BenchmarkMCPToolCall(b *testing.B) {
	srv, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	var weather string
	for _, s := range srv.Store().Snapshot().MCPServers {
		if s.Slug == "weather" {
			weather = s.ID
		}
	}
	call := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`)
	benchRequest(b, srv.URL()+mcpPathPrefix+weather, srv.BootstrapKey(), call)
}

func benchServiceAccount(b *testing.B, srv *Server, key string) string {
	b.Helper()
	sa := ServiceAccount{ID: newID("sa_"), OrganizationID: srv.OrganizationID(), Name: "bench", Role: api.RoleMember,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := srv.Store().CreateServiceAccount(sa, nil); err != nil {
		b.Fatal(err)
	}
	return sa.ID
}

// benchRequest sends GETs, or POSTs of body as an MCP client does, and
// reports the throughput.
func benchRequest(b *testing.B, url, key string, body []byte) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			method, reader := http.MethodGet, io.Reader(nil)
			if body != nil {
				method, reader = http.MethodPost, bytes.NewReader(body)
			}
			req, _ := http.NewRequestWithContext(b.Context(), method, url, reader)
			req.Header.Set("Authorization", "Bearer "+key)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", mcpAccept)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkKeyVerification authenticates one key among 10 and among 100,000:
// the lookup is by the secret's hash in a map, so the two must cost the same.
func BenchmarkKeyVerification(b *testing.B) {
	for _, keys := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			srv, err := New()
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Stop()
			var last string
			for i := range keys {
				secret := newSecret()
				now := time.Now()
				sa := ServiceAccount{ID: newID("sa_"), OrganizationID: srv.OrganizationID(), Name: fmt.Sprintf("bench-%d", i),
					Role: api.RoleMember, CreatedAt: now, UpdatedAt: now}
				key := APIKey{ID: newID("key_"), OrganizationID: srv.OrganizationID(), OwnerID: sa.ID, Name: "k",
					SecretHash: hashSecret(secret), MaskedSecret: maskSecret(secret), CreatedAt: now}
				if err := srv.Store().CreateServiceAccount(sa, &key); err != nil {
					b.Fatal(err)
				}
				last = secret
			}
			req := httptest.NewRequest(http.MethodGet, "/api/v0/me", nil)
			req.Header.Set("Authorization", "Bearer "+last)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := srv.authenticate(req, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
