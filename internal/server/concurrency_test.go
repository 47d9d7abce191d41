package server

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// With either store, through the API: the limit holds under fifty concurrent
// creates (the SQLite store holds it in its transaction).
func TestConcurrentKeyCreatesRespectLimit(t *testing.T) {
	t.Run("memory", func(t *testing.T) { t.Parallel(); concurrentKeyCreates(t, newTestEnv(t)) })
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		concurrentKeyCreates(t, mustStartOnFile(t, filepath.Join(t.TempDir(), "horizon.db")))
	})
}

func concurrentKeyCreates(t *testing.T, e *testEnv) {
	saID := e.createSA("ci", api.RoleMember)

	const n = 50
	responses := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			responses[i] = e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": fmt.Sprintf("k%d", i)})
		})
	}
	wg.Wait()

	var created []string
	for _, res := range responses {
		if res.status == http.StatusCreated {
			var key api.Key
			res.decode(&key)
			created = append(created, key.ID)
		}
	}
	if len(created) != api.MaxActiveKeysPerServiceAccount {
		t.Fatalf("%d creates succeeded, want %d", len(created), api.MaxActiveKeysPerServiceAccount)
	}
	slices.Sort(created)
	for _, res := range responses {
		if res.status == http.StatusCreated {
			continue
		}
		e := res.wantError(http.StatusConflict, "key_limit_exceeded", map[string]any{"service_account_id": saID, "limit": 2})
		var listed []string
		for _, k := range e.Error.Details["active_keys"].([]any) {
			listed = append(listed, k.(map[string]any)["id"].(string))
		}
		slices.Sort(listed)
		if !slices.Equal(listed, created) {
			t.Fatalf("active_keys = %v, want %v", listed, created)
		}
	}
}

// TestConcurrentKeyCreateAndDelete races key creation against deleting the
// account: whatever the interleaving, no active key may outlive the account.
func TestConcurrentKeyCreateAndDelete(t *testing.T) {
	e := newTestEnv(t)
	for round := range 20 {
		saID := e.createSA(fmt.Sprintf("ci-%d", round), api.RoleMember)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				res := e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": fmt.Sprintf("k%d", i)})
				if res.status != http.StatusCreated && res.status != http.StatusNotFound && res.status != http.StatusConflict {
					t.Errorf("create: status %d: %s", res.status, res.body)
				}
			})
		}
		wg.Go(func() { e.owner.do(http.MethodDelete, saPath(saID), nil).want(http.StatusNoContent) })
		wg.Wait()
		for _, k := range e.srv.Store().Snapshot().APIKeys {
			if k.OwnerID == saID && k.Status(e.clock.Now()) == api.KeyStatusActive {
				t.Fatalf("round %d: key %s is active on a deleted account", round, k.ID)
			}
		}
	}
}

func TestConcurrentServiceAccountNames(t *testing.T) {
	e := newTestEnv(t)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res := e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "same"})
			mu.Lock()
			statuses[res.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusCreated] != 1 || statuses[http.StatusConflict] != 19 {
		t.Errorf("statuses = %v, want one 201 and nineteen 409", statuses)
	}
}
