package client

import (
	"errors"
	"net/http"
	"testing"
)

// A paged list asks for its page size, follows next_page_token until a page
// has none, and yields every item in order.
func TestPagesFollowTokens(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t,
		reply{status: http.StatusOK, body: `{"service_accounts":[{"id":"sa_1"},{"id":"sa_2"}],"next_page_token":"dG9rZW4x"}`},
		reply{status: http.StatusOK, body: `{"service_accounts":[{"id":"sa_3"}],"next_page_token":"dG9rZW4y"}`},
		reply{status: http.StatusOK, body: `{"service_accounts":[]}`},
	)
	c := newTestClient(t, srv.URL)
	var ids []string
	for sa, err := range c.AllServiceAccounts(t.Context(), 2) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sa.ID)
	}
	if len(ids) != 3 || ids[0] != "sa_1" || ids[2] != "sa_3" {
		t.Errorf("items = %v", ids)
	}
	want := []string{
		"/api/v0/organizations/current/service-accounts?limit=2",
		"/api/v0/organizations/current/service-accounts?limit=2&page_token=dG9rZW4x",
		"/api/v0/organizations/current/service-accounts?limit=2&page_token=dG9rZW4y",
	}
	seen := log.all()
	if len(seen) != len(want) {
		t.Fatalf("%d requests, want %d", len(seen), len(want))
	}
	for i, r := range seen {
		if r.requestURI != want[i] {
			t.Errorf("request %d = %s, want %s", i, r.requestURI, want[i])
		}
	}
}

// Without a page size there is one request, with no query: the whole list,
// as Horizon served it before pagination.
func TestListIsOneRequest(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: http.StatusOK, body: `{"servers":[{"id":"srv_1"},{"id":"srv_2"}]}`})
	servers, err := newTestClient(t, srv.URL).ListServers(t.Context())
	if err != nil || len(servers) != 2 {
		t.Fatalf("ListServers = %v, %v", servers, err)
	}
	if uri := log.all()[0].requestURI; log.count() != 1 || uri != "/api/v0/organizations/current/servers" {
		t.Errorf("%d requests, first %s", log.count(), uri)
	}
}

// Stopping the iteration stops the requests; an error ends it.
func TestPagesStopEarly(t *testing.T) {
	t.Parallel()
	srv, log := scriptedServer(t, reply{status: http.StatusOK, body: `{"api_keys":[{"id":"key_1"},{"id":"key_2"}],"next_page_token":"eA"}`})
	c := newTestClient(t, srv.URL)
	for _, err := range c.AllAPIKeys(t.Context(), "sa_1", 2) {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if log.count() != 1 {
		t.Errorf("%d requests after stopping at the first item, want 1", log.count())
	}

	failing, _ := scriptedServer(t, fail(http.StatusForbidden))
	n := 0
	for _, err := range newTestClient(t, failing.URL).AllServerGrants(t.Context(), "sa_1", 10) {
		n++
		if !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("err = %v, want permission denied", err)
		}
	}
	if n != 1 {
		t.Errorf("a failed page yielded %d times, want once", n)
	}
}
