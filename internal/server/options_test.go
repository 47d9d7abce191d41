package server

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"key without prefix", WithBootstrapKey("sk_0123456789abcdefghij"), "WithBootstrapKey"},
		{"key too short", WithBootstrapKey("fmcp_0123456789"), "WithBootstrapKey"},
		{"key with space", WithBootstrapKey("fmcp_0123456789 abcdefghij"), "WithBootstrapKey"},
		// Characters where the log's redaction used to stop: part of such a
		// key reached the log and the body of a 404.
		{"key with a slash", WithBootstrapKey("fmcp_chosen/by/a/user/0123"), "WithBootstrapKey"},
		{"key with a quote", WithBootstrapKey(`fmcp_chosen"by"a"user"0123`), "WithBootstrapKey"},
		{"key with a backslash", WithBootstrapKey(`fmcp_chosen\by\a\user\0123`), "WithBootstrapKey"},
		{"key with punctuation", WithBootstrapKey("fmcp_chosen.by+a~user!0123"), "WithBootstrapKey"},
		{"default server role admin", WithDefaultServerRole("admin"), "WithDefaultServerRole"},
		{"empty default server role", WithDefaultServerRole(""), "WithDefaultServerRole"},
		{"default server role in capitals", WithDefaultServerRole("User"), "WithDefaultServerRole"},
		{"nil clock", WithClock(nil), "WithClock"},
		{"nil log output", WithLogOutput(nil), "WithLogOutput"},
		{"negative rate limit", WithRateLimit(-1), "WithRateLimit"},
		{"fail rate above 1", WithFailRate(1.5), "WithFailRate"},
		{"negative fail rate", WithFailRate(-0.1), "WithFailRate"},
		{"NaN fail rate", WithFailRate(math.NaN()), "WithFailRate"},
		{"error rate above 1", WithErrorRate(1.01), "WithErrorRate"},
		{"negative error rate", WithErrorRate(-0.5), "WithErrorRate"},
		{"NaN error rate", WithErrorRate(math.NaN()), "WithErrorRate"},
		{"negative latency", WithLatency(-time.Millisecond), "WithLatency"},
		{"bad address", WithAddr("not an address"), "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(tt.opt)
			if err == nil {
				srv.Stop()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s", err, tt.want)
			}
		})
	}
}

func TestBootstrapKeyOption(t *testing.T) {
	key := "fmcp_test-bootstrap-key-0001"
	e := newTestEnv(t, WithBootstrapKey(key))
	if e.srv.BootstrapKey() != key {
		t.Fatalf("BootstrapKey() = %q", e.srv.BootstrapKey())
	}
	e.client(key).do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
}

func TestAddrOption(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := New(WithAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if srv.URL() != "http://"+addr {
		t.Errorf("URL() = %q, want http://%s", srv.URL(), addr)
	}
	if _, err := New(WithAddr(addr)); err == nil {
		t.Error("a second server listened on a port in use")
	}
}

func TestShutdownDrainsAndStopIsIdempotent(t *testing.T) {
	e := newTestEnv(t)
	e.owner.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := e.owner.send(http.MethodGet, "/api/v0/me", nil); err == nil {
		t.Error("the server answered after Shutdown")
	}
	e.srv.Stop()
	e.srv.Stop()
	if e.srv.RequestCount() != 1 {
		t.Errorf("RequestCount() = %d, want 1", e.srv.RequestCount())
	}
}

func TestHandlerServesWithoutListener(t *testing.T) {
	e := newTestEnv(t)
	req, _ := http.NewRequest(http.MethodGet, "/api/v0/me", nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.BootstrapKey())
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestManualClock(t *testing.T) {
	c := NewManualClock(testStart)
	c.Advance(time.Minute)
	if !c.Now().Equal(testStart.Add(time.Minute)) {
		t.Errorf("Now() = %v after Advance", c.Now())
	}
	c.Set(testStart)
	if !c.Now().Equal(testStart) {
		t.Errorf("Now() = %v after Set", c.Now())
	}
}
