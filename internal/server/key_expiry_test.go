package server

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/horizonhq/terraform-provider-horizon/internal/api"
)

// A key's life can be shortened with PATCH expires_at, never extended: this is
// how a replaced key gets its grace period.
func TestPatchKeyExpiryOnlyBringsItForward(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	never := e.createKey(saID, "never-expires")
	path := keyPath(saID, never.ID)
	var got api.Key

	// A key without an expiry may be given any future one.
	e.owner.do(http.MethodPatch, path, map[string]any{"expires_at": "2030-01-03T00:00:00Z"}).want(http.StatusOK).decode(&got)
	if deref(got.ExpiresAt) != "2030-01-03T00:00:00Z" || got.Status != api.KeyStatusActive {
		t.Fatalf("after setting an expiry: %+v (expires %s)", got, deref(got.ExpiresAt))
	}

	// Earlier than the current expiry: accepted, in any offset, returned in UTC.
	e.owner.do(http.MethodPatch, path, map[string]any{"expires_at": "2030-01-02T20:00:00+02:00"}).want(http.StatusOK).decode(&got)
	if deref(got.ExpiresAt) != "2030-01-02T18:00:00Z" {
		t.Fatalf("expires_at = %s, want 2030-01-02T18:00:00Z", deref(got.ExpiresAt))
	}

	// The same instant again is no change, so a retried PATCH succeeds.
	res := e.owner.do(http.MethodPatch, path, map[string]any{"expires_at": "2030-01-02T18:00:00Z"}).want(http.StatusOK)
	res.decode(&got)
	if deref(got.ExpiresAt) != "2030-01-02T18:00:00Z" {
		t.Fatalf("repeating the PATCH moved expires_at to %s", deref(got.ExpiresAt))
	}

	refused := []struct {
		name, body, message string
	}{
		{"later", `{"expires_at": "2030-01-02T18:00:01Z"}`, "already expires at 2030-01-02T18:00:00Z"},
		{"past", `{"expires_at": "2030-01-02T15:00:00Z"}`, "must be in the future"},
		{"now", `{"expires_at": "2030-01-02T15:04:05Z"}`, "must be in the future"},
		{"malformed", `{"expires_at": "tomorrow"}`, "RFC 3339"},
		{"fractional", `{"expires_at": "2030-01-02T16:00:00.5Z"}`, "whole-second"},
		{"not a string", `{"expires_at": 1893600000}`, "expires_at must be a string"},
		// A refused expiry changes nothing, the name neither.
		{"later with a new name", `{"name": "renamed", "expires_at": "2031-01-01T00:00:00Z"}`, "never extended"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			res := e.owner.do(http.MethodPatch, path, tc.body)
			if msg := res.wantError(http.StatusBadRequest, "invalid_request", map[string]any{"field": "expires_at"}).Error.Message; !strings.Contains(msg, tc.message) {
				t.Errorf("message lacks %q: %s", tc.message, msg)
			}
			var after api.Key
			e.owner.do(http.MethodGet, path, nil).want(http.StatusOK).decode(&after)
			if deref(after.ExpiresAt) != "2030-01-02T18:00:00Z" || after.Name != "never-expires" {
				t.Errorf("a refused PATCH changed the key: %+v (expires %s)", after, deref(after.ExpiresAt))
			}
		})
	}

	// The shortened key authenticates until its new expiry, then no more.
	client := e.client(never.Secret)
	client.do(http.MethodGet, "/api/v0/me", nil).want(http.StatusOK)
	e.clock.Set(time.Date(2030, 1, 2, 18, 0, 0, 0, time.UTC))
	client.do(http.MethodGet, "/api/v0/me", nil).wantError(http.StatusUnauthorized, "unauthenticated", nil)
	e.owner.do(http.MethodGet, path, nil).want(http.StatusOK).decode(&got)
	if got.Status != api.KeyStatusExpired {
		t.Errorf("status = %s, want expired", got.Status)
	}
}

// A key in its shortened life still counts toward the two-key limit: it
// authenticates until it expires.
func TestShortenedKeyCountsTowardTheLimitUntilItExpires(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	retiring := e.createKey(saID, "retiring")
	e.createKey(saID, "current")
	e.owner.do(http.MethodPatch, keyPath(saID, retiring.ID), map[string]any{"expires_at": "2030-01-02T16:04:05Z"}).want(http.StatusOK)

	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "third"}).
		wantError(http.StatusConflict, "key_limit_exceeded", map[string]any{"limit": 2})
	e.clock.Advance(time.Hour)
	e.owner.do(http.MethodPost, saPath(saID, "/api-keys"), map[string]any{"name": "third"}).want(http.StatusCreated)
}

// A shorten racing a revoke: whichever runs first, both succeed and the key
// ends revoked, with its revoked_at and an expiry no later than asked.
func TestPatchKeyExpiryRacingRevoke(t *testing.T) {
	e := newTestEnv(t)
	saID := e.createSA("ci", api.RoleMember)
	for round := range 20 {
		key := e.createKey(saID, "racer")
		var wg sync.WaitGroup
		wg.Go(func() {
			e.owner.do(http.MethodPatch, keyPath(saID, key.ID), map[string]any{"expires_at": "2030-01-02T16:00:00Z"}).want(http.StatusOK)
		})
		wg.Go(func() { e.owner.do(http.MethodDelete, keyPath(saID, key.ID), nil).want(http.StatusOK) })
		wg.Wait()
		var got api.Key
		e.owner.do(http.MethodGet, keyPath(saID, key.ID), nil).want(http.StatusOK).decode(&got)
		if got.Status != api.KeyStatusRevoked || got.RevokedAt == nil || deref(got.ExpiresAt) != "2030-01-02T16:00:00Z" {
			t.Fatalf("round %d: key = %+v (expires %s, revoked %s)", round, got, deref(got.ExpiresAt), deref(got.RevokedAt))
		}
	}
}
