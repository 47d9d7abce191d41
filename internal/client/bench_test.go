package client

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetServiceAccount is the client's request path as a refresh uses it:
// one GET over a kept-alive loopback connection, decoded into the wire struct.
func BenchmarkGetServiceAccount(b *testing.B) {
	body := []byte(`{"id":"sa_aaaaaaaaaaaaaaaa","organization_id":"org_aaaaaaaaaaaaaaaa","name":"ci-deployer",` +
		`"description":"","role":"member","disabled":false,"created_at":"2026-11-23T11:00:00Z","updated_at":"2026-11-23T11:00:00Z"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, APIKey: "fmcp_bench", MaxRetries: DefaultMaxRetries})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetServiceAccount(ctx, "sa_aaaaaaaaaaaaaaaa"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
