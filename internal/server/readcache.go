package server

import "sync"

// readCache keeps the answers of the reads that every request makes before
// its handler runs (the key's owner, its organization, its server grants)
// until the next write commits: each commit empties it, so no answer outlives
// a change. The store enforces every rule in SQLite; this only saves a
// request the queries whose answers cannot have changed.
//
// A read records its answer only if no write committed since it began: it
// takes the generation before querying, and put drops the answer when a
// commit has moved the generation on meanwhile.
type readCache struct {
	mu         sync.Mutex
	generation uint64
	keys       map[[32]byte]resolvedKey
	orgs       map[string]Organization
	grants     map[string]map[string]Grant
}

type resolvedKey struct {
	key   APIKey
	actor Actor
}

func newReadCache() *readCache {
	return &readCache{keys: map[[32]byte]resolvedKey{}, orgs: map[string]Organization{}, grants: map[string]map[string]Grant{}}
}

// begin returns the generation a read starts in.
func (c *readCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.generation
}

// committed empties the cache after a write committed.
func (c *readCache) committed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	clear(c.keys)
	clear(c.orgs)
	clear(c.grants)
}

// cached looks a value up in one of the cache's maps.
func cached[K comparable, V any](c *readCache, m map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m[k]
	return v, ok
}

// remember stores a value read in generation, unless a write committed since.
func remember[K comparable, V any](c *readCache, generation uint64, m map[K]V, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation == c.generation {
		m[k] = v
	}
}
