package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// TestServerNameLookalikes replays the names that were accepted beside the
// seeded Weather: each is now a 409 that names the server it looks like.
func TestServerNameLookalikes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for i, name := range []string{"W\u0435ather", "\uff37eather", "Weather ", " Weather", "weather", "WEATHER", "W\u0435\u0430ther"} {
		slug := "lookalike-" + string(rune('a'+i))
		res := e.owner.do(http.MethodPost, serverCollection, map[string]any{"name": name, "slug": slug}).
			wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
		if !strings.Contains(res.Error.Message, `"Weather"`) {
			t.Errorf("%q: message %q does not name Weather", name, res.Error.Message)
		}
	}
	if got := len(e.srv.Store().Snapshot().MCPServers); got != 3 {
		t.Errorf("%d servers, want the 3 seeded ones", got)
	}
	// A rename compares the same way; a server may take another spelling of
	// its own name.
	search, weather := serverCollection+"/"+e.serverID("search"), serverCollection+"/"+e.serverID("weather")
	e.owner.do(http.MethodPatch, search, map[string]any{"name": "W\u0435ather"}).
		wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
	var renamed api.Server
	e.owner.do(http.MethodPatch, weather, map[string]any{"name": " WEATHER "}).want(http.StatusOK).decode(&renamed)
	if renamed.Name != "WEATHER" {
		t.Errorf("renamed to %q, want WEATHER", renamed.Name)
	}
}

// TestNamesAreStoredNormalized: the stored name is NFC without surrounding
// white space, so two ways of writing one name are one name.
func TestNamesAreStoredNormalized(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	var srv api.Server
	e.owner.do(http.MethodPost, serverCollection, map[string]any{"name": "  Cafe\u0301 ", "slug": "cafe"}).want(http.StatusCreated).decode(&srv)
	if srv.Name != "Caf\u00e9" {
		t.Errorf("server name %q, want %q", srv.Name, "Caf\u00e9")
	}
	e.owner.do(http.MethodPost, serverCollection, map[string]any{"name": "Caf\u00e9", "slug": "cafe-2"}).
		wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})

	var sa api.ServiceAccount
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": " ci-deployer\t"}).want(http.StatusCreated).decode(&sa)
	if sa.Name != "ci-deployer" {
		t.Errorf("service account name %q, want ci-deployer", sa.Name)
	}
}

// TestNamesMustBeUTF8: invalid UTF-8 and lone surrogates were replaced with
// U+FFFD and accepted; now they are refused, naming the field.
func TestNamesMustBeUTF8(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, name := range []string{"\xff\xfe", `\ud800`, `a\udfffb`, "Weather\xc0"} {
		e.owner.do(http.MethodPost, serverCollection, `{"name":"`+name+`","slug":"bad"}`).
			wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "name"})
		e.owner.do(http.MethodPost, saCollection, `{"name":"`+name+`"}`).
			wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "name"})
	}
	for _, srv := range e.srv.Store().Snapshot().MCPServers {
		if strings.ContainsRune(srv.Name, '\uFFFD') {
			t.Errorf("stored server name %q holds U+FFFD", srv.Name)
		}
	}
}

// TestServiceAccountNameLookalikes: create and rename compare folded names;
// an account may take another spelling of its own name, and a deleted
// account's name is free again.
func TestServiceAccountNameLookalikes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first := e.createSA("ci-deployer", api.RoleViewer)
	for _, name := range []string{"CI-Deployer", "ci-dep1oyer", "ci-depl0yer", " ci-deployer"} {
		res := e.owner.do(http.MethodPost, saCollection, map[string]any{"name": name}).
			wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
		if name != " ci-deployer" && !strings.Contains(res.Error.Message, `"ci-deployer"`) {
			t.Errorf("%q: message %q does not name ci-deployer", name, res.Error.Message)
		}
	}
	second := e.createSA("ci-reader", api.RoleViewer)
	e.owner.do(http.MethodPatch, saPath(second), map[string]any{"name": "CI-DEPLOYER"}).
		wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
	var renamed api.ServiceAccount
	e.owner.do(http.MethodPatch, saPath(first), map[string]any{"name": "CI-Deployer"}).want(http.StatusOK).decode(&renamed)
	if renamed.Name != "CI-Deployer" {
		t.Errorf("renamed to %q", renamed.Name)
	}
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ci-deployer"}).
		wantError(http.StatusConflict, "name_conflict", map[string]any{"field": "name"})
	e.owner.do(http.MethodDelete, saPath(first), nil).want(http.StatusNoContent)
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "ci-deployer"}).want(http.StatusCreated)
}
