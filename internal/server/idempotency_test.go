package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

func TestIdempotentReplay(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	path := saPath(saID, "/api-keys")
	body := map[string]any{"name": "primary"}

	first := e.owner.do(http.MethodPost, path, body, "Idempotency-Key", "create-primary").want(http.StatusCreated)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first response marked as a replay")
	}
	e.clock.Advance(time.Hour)
	replay := e.owner.do(http.MethodPost, path, body, "Idempotency-Key", "create-primary").want(http.StatusCreated)
	if replay.header.Get("Idempotent-Replayed") != "true" {
		t.Error("replay lacks Idempotent-Replayed: true")
	}
	if string(replay.body) != string(first.body) {
		t.Errorf("replay body %s, want %s", replay.body, first.body)
	}
	var list apiKeyListJSON
	e.owner.do(http.MethodGet, path, nil).want(http.StatusOK).decode(&list)
	if len(list.APIKeys) != 1 {
		t.Errorf("%d keys after a replay, want 1", len(list.APIKeys))
	}

	e.owner.do(http.MethodPost, path, map[string]any{"name": "other"}, "Idempotency-Key", "create-primary").
		wantError(http.StatusConflict, "idempotency_key_reused", nil)
	e.owner.do(http.MethodPost, saCollection, body, "Idempotency-Key", "create-primary").
		wantError(http.StatusConflict, "idempotency_key_reused", nil)

	// Another actor's identical key is a different request.
	admin := e.actor(api.RoleAdmin)
	other := admin.do(http.MethodPost, path, body, "Idempotency-Key", "create-primary").want(http.StatusCreated)
	if other.header.Get("Idempotent-Replayed") != "" || string(other.body) == string(first.body) {
		t.Error("an idempotency key was shared across actors")
	}

	// After 24 hours the key is forgotten.
	e.owner.do(http.MethodDelete, keyPath(saID, decodeKey(t, other).ID), nil).want(http.StatusOK)
	e.clock.Advance(23 * time.Hour)
	late := e.owner.do(http.MethodPost, path, body, "Idempotency-Key", "create-primary").want(http.StatusCreated)
	if late.header.Get("Idempotent-Replayed") != "" || decodeKey(t, late).ID == decodeKey(t, first).ID {
		t.Error("a 24-hour-old idempotency key was replayed")
	}
}

func decodeKey(t *testing.T, res response) api.Key {
	t.Helper()
	var key api.Key
	res.decode(&key)
	return key
}

func TestIdempotencyStoresOnlySuccesses(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	first := e.createKey(saID, "a")
	e.createKey(saID, "b")
	path := saPath(saID, "/api-keys")
	body := map[string]any{"name": "c"}
	e.owner.do(http.MethodPost, path, body, "Idempotency-Key", "k").wantError(http.StatusConflict, "key_limit_exceeded", nil)
	e.owner.do(http.MethodDelete, keyPath(saID, first.ID), nil).want(http.StatusOK)
	res := e.owner.do(http.MethodPost, path, body, "Idempotency-Key", "k").want(http.StatusCreated)
	if res.header.Get("Idempotent-Replayed") != "" {
		t.Error("a failed request's response was replayed")
	}
}

func TestIdempotentServiceAccountWithKey(t *testing.T) {
	e := newTestEnv(t)
	body := map[string]any{"name": "ui", "create_key": true}
	first := e.owner.do(http.MethodPost, saCollection, body, "Idempotency-Key", "ui-1").want(http.StatusCreated)
	replay := e.owner.do(http.MethodPost, saCollection, body, "Idempotency-Key", "ui-1").want(http.StatusCreated)
	var a, b api.CreatedServiceAccount
	first.decode(&a)
	replay.decode(&b)
	if a.APIKey == nil || b.APIKey == nil || a.APIKey.Secret != b.APIKey.Secret || a.ID != b.ID {
		t.Errorf("replay %s differs from %s", replay.body, first.body)
	}
}

func TestConcurrentIdempotentRequestsExecuteOnce(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	const n = 20
	responses := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			responses[i] = e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "k"}, "Idempotency-Key", "same")
		})
	}
	wg.Wait()
	executed := 0
	for _, res := range responses {
		res.want(http.StatusCreated)
		if res.header.Get("Idempotent-Replayed") == "" {
			executed++
		}
		if string(res.body) != string(responses[0].body) {
			t.Fatalf("bodies differ: %s and %s", res.body, responses[0].body)
		}
	}
	if executed != 1 {
		t.Errorf("%d requests executed, want 1", executed)
	}
}

// TestStoreHoldsNoPlaintext inspects everything stored after creating keys
// with and without Idempotency-Key: secrets appear only as hashes, idempotency
// keys only inside a hash, and stored responses only encrypted.
func TestStoreHoldsNoPlaintext(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	idempotencyKey := "idem-7f3a9c"
	withKey := decodeKey(t, e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "a"}, "Idempotency-Key", idempotencyKey).
		want(http.StatusCreated))
	without := e.createKey(saID, "b")

	snap := e.srv.Store().Snapshot()
	dump, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for name, plaintext := range map[string]string{
		"bootstrap key":   e.srv.BootstrapKey(),
		"secret":          withKey.Secret,
		"other secret":    without.Secret,
		"random part":     strings.TrimPrefix(withKey.Secret, "fmcp_"),
		"Idempotency-Key": idempotencyKey,
	} {
		if strings.Contains(string(dump), plaintext) {
			t.Errorf("the store holds the %s in plaintext", name)
		}
	}

	hashes := map[[32]byte]bool{}
	for _, k := range snap.APIKeys {
		hashes[k.SecretHash] = true
	}
	for _, secret := range []string{e.srv.BootstrapKey(), withKey.Secret, without.Secret} {
		if !hashes[sha256.Sum256([]byte(secret))] {
			t.Errorf("no stored key has the SHA-256 of secret %s...", secret[:9])
		}
	}

	if len(snap.IdempotencyRecords) != 1 {
		t.Fatalf("%d idempotency records, want 1", len(snap.IdempotencyRecords))
	}
	rec := snap.IdempotencyRecords[0]
	sum := sha256.Sum256([]byte(e.mustMe().Actor.ID + "\x00" + idempotencyKey))
	if rec.LookupID != hex.EncodeToString(sum[:]) {
		t.Errorf("lookup id %s is not hex(SHA-256(actor, key))", rec.LookupID)
	}
	plain, err := e.srv.idempotency.open(rec, idempotencyKey)
	if err != nil || !strings.Contains(string(plain), withKey.Secret) {
		t.Errorf("stored response does not decrypt with the Idempotency-Key: %v", err)
	}
	if _, err := e.srv.idempotency.open(rec, "another key"); err == nil {
		t.Error("stored response decrypts without the Idempotency-Key")
	}
}

func TestIdempotencyRecordsArePruned(t *testing.T) {
	e := newTestEnv(t)
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "a"}, "Idempotency-Key", "1").want(http.StatusCreated)
	e.clock.Advance(25 * time.Hour)
	e.owner.do(http.MethodPost, saCollection, map[string]any{"name": "b"}, "Idempotency-Key", "2").want(http.StatusCreated)
	if n := len(e.srv.Store().Snapshot().IdempotencyRecords); n != 1 {
		t.Errorf("%d idempotency records, want the expired one pruned", n)
	}
}
