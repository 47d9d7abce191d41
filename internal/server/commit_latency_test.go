package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A client that gives up while a committed change's response is held leaves the
// change in place: the window WithCommitLatency opens for tests of interrupted
// clients.
func TestCommitLatencyHoldsResponsesOfCommittedChanges(t *testing.T) {
	t.Parallel()
	srv, err := New(WithCommitLatency(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/api/v0/organizations/current/service-accounts",
		strings.NewReader(`{"name":"held"}`))
	req.Header.Set("Authorization", "Bearer "+srv.BootstrapKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("want the client to give up while the response is held, got HTTP %d", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a client timeout, got %v", err)
	}
	accounts := srv.Store().Snapshot().ServiceAccounts
	if len(accounts) != 1 || accounts[0].Name != "held" {
		t.Fatalf("the change must be committed before its response is held; store has %+v", accounts)
	}
	if _, err := New(WithCommitLatency(-time.Second)); err == nil {
		t.Error("a negative commit latency must be refused")
	}
}
