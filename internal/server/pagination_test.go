package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// listPage is one page of any list endpoint: its items' ids and the next token.
type listPage struct {
	ids  []string
	next string
	// hasNext tells whether the body had next_page_token at all.
	hasNext bool
}

func (e *testEnv) listPage(path, field, idField string, query string) listPage {
	e.t.Helper()
	if query != "" {
		path += "?" + query
	}
	var body map[string]json.RawMessage
	e.owner.do(http.MethodGet, path, nil).want(http.StatusOK).decode(&body)
	var items []map[string]any
	if err := json.Unmarshal(body[field], &items); err != nil {
		e.t.Fatalf("%s: %s is not a list: %v", path, field, err)
	}
	var p listPage
	for _, item := range items {
		p.ids = append(p.ids, fmt.Sprint(item[idField]))
	}
	if raw, ok := body["next_page_token"]; ok {
		p.hasNext = true
		if err := json.Unmarshal(raw, &p.next); err != nil || p.next == "" {
			e.t.Fatalf("%s: next_page_token %s is not a non-empty string", path, raw)
		}
	}
	return p
}

// walk pages through a list with limit and returns every id, in order.
func (e *testEnv) walk(path, field, idField string, limit int) []string {
	e.t.Helper()
	var all []string
	token := ""
	for range 100 {
		q := fmt.Sprintf("limit=%d", limit)
		if token != "" {
			q += "&page_token=" + token
		}
		p := e.listPage(path, field, idField, q)
		if len(p.ids) > limit {
			e.t.Fatalf("%s?%s returned %d items, more than the limit", path, q, len(p.ids))
		}
		all = append(all, p.ids...)
		if !p.hasNext {
			return all
		}
		token = p.next
	}
	e.t.Fatalf("%s: more than 100 pages", path)
	return nil
}

// Every list endpoint (personal keys too) pages with limit and page_token, and without them
// returns the whole list with no next_page_token, as before pagination.
func TestListPagination(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("paged", api.RoleMember)
	for i := range 4 {
		e.createSA(fmt.Sprintf("sa-%d", i), api.RoleViewer)
		e.createServer(fmt.Sprintf("Server %d", i), fmt.Sprintf("server-%d", i))
		e.clock.Advance(time.Second)
	}
	var servers serverListJSON
	e.owner.do(http.MethodGet, serverCollection, nil).want(http.StatusOK).decode(&servers)
	for i, srv := range servers.Servers {
		e.grant(saID, srv.ID, api.ServerRoleUser)
		if i < 2 {
			key := e.createKey(saID, fmt.Sprintf("key-%d", i))
			e.owner.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK)
		}
	}
	e.createKey(saID, "active")
	for i := range 2 {
		e.owner.do(http.MethodPost, personalKeys, map[string]any{"name": fmt.Sprintf("laptop-%d", i)}).want(http.StatusCreated)
		e.clock.Advance(time.Second)
	}

	lists := []struct{ path, field, idField string }{
		{serverCollection, "servers", "id"},
		{saCollection, "service_accounts", "id"},
		{saPath(saID, "/api-keys"), "api_keys", "id"},
		{personalKeys, "api_keys", "id"},
		{saPath(saID, "/server-grants"), "server_grants", "server_id"},
	}
	for _, l := range lists {
		whole := e.listPage(l.path, l.field, l.idField, "")
		if whole.hasNext || len(whole.ids) < 3 {
			t.Fatalf("%s without a limit: %d items, next_page_token %v", l.path, len(whole.ids), whole.hasNext)
		}
		for _, limit := range []int{1, 2, len(whole.ids), maxPageLimit} {
			if got := e.walk(l.path, l.field, l.idField, limit); !slices.Equal(got, whole.ids) {
				t.Errorf("%s by pages of %d = %v, want %v", l.path, limit, got, whole.ids)
			}
		}
		// The last page has no token, even when it is full.
		if p := e.listPage(l.path, l.field, l.idField, fmt.Sprintf("limit=%d", len(whole.ids))); p.hasNext {
			t.Errorf("%s: a page holding every item has a next_page_token", l.path)
		}
	}
}

// A token names a position in the order, so an item deleted between two
// pages neither repeats nor hides the others.
func TestListPaginationSurvivesDeletes(t *testing.T) {
	e := newTestEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.createSA(fmt.Sprintf("sa-%d", i), api.RoleViewer))
		e.clock.Advance(time.Second)
	}
	first := e.listPage(saCollection, "service_accounts", "id", "limit=2")
	if !slices.Equal(first.ids, ids[:2]) {
		t.Fatalf("first page %v, want %v", first.ids, ids[:2])
	}
	e.owner.do(http.MethodDelete, saPath(ids[1]), nil).want(http.StatusNoContent)
	e.owner.do(http.MethodDelete, saPath(ids[2]), nil).want(http.StatusNoContent)
	second := e.listPage(saCollection, "service_accounts", "id", "limit=2&page_token="+first.next)
	if !slices.Equal(second.ids, ids[3:5]) || second.hasNext {
		t.Errorf("after deletes the next page is %v (more: %v), want %v and no more", second.ids, second.hasNext, ids[3:5])
	}
}

func TestListPaginationErrors(t *testing.T) {
	e := newTestEnv(t)
	for _, q := range []string{"limit=0", "limit=-1", "limit=1001", "limit=ten", "limit=1.5"} {
		e.owner.do(http.MethodGet, saCollection+"?"+q, nil).
			wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "limit"})
	}
	for _, q := range []string{"page_token=%21%21", "page_token=a+b"} {
		msg := e.owner.do(http.MethodGet, serverCollection+"?"+q, nil).
			wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "page_token"}).Error.Message
		if !strings.Contains(msg, "next_page_token") {
			t.Errorf("page_token refusal %q does not say where a token comes from", msg)
		}
	}
}
