package server

import "testing"

// An answer read before a write committed is never remembered after it, and
// a commit forgets every answer: the cache cannot serve what a write changed.
func TestReadCacheForgetsAtEveryCommit(t *testing.T) {
	c := newReadCache()
	began := c.begin()
	c.committed() // a write commits while the read runs
	remember(c, began, c.orgs, "org_a", Organization{Name: "before"})
	if _, ok := cached(c, c.orgs, "org_a"); ok {
		t.Fatal("an answer read before a commit was remembered after it")
	}
	remember(c, c.begin(), c.orgs, "org_a", Organization{Name: "after"})
	if org, ok := cached(c, c.orgs, "org_a"); !ok || org.Name != "after" {
		t.Fatalf("an answer read after the last commit: %+v, %v; want it remembered", org, ok)
	}
	c.committed()
	if _, ok := cached(c, c.orgs, "org_a"); ok {
		t.Fatal("a commit left an answer in the cache")
	}
}

// Through the store: a change is seen by the next read, however often the
// same read was answered from the cache before it.
func TestStoreReadsSeeEveryWrite(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		f := newStoreFixture(t, st)
		for range 3 {
			if _, _, err := st.ResolveAPIKey(f.key.SecretHash); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := st.RevokeAPIKey(f.org.ID, PersonalKeys(f.owner.ID), f.key.ID, at(1)); err != nil {
			t.Fatal(err)
		}
		key, _, err := st.ResolveAPIKey(f.key.SecretHash)
		if err != nil || key.RevokedAt.IsZero() {
			t.Fatalf("the key after its revocation: revoked at %s (%v), want the revocation seen", key.RevokedAt, err)
		}
	})
}
