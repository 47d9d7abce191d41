package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"
)

// idempotencyRetention is how long a stored response can be replayed.
const idempotencyRetention = 24 * time.Hour

// idempotencyPruneInterval bounds how often expired records are swept, so a
// busy server does not scan the whole table on every POST.
const idempotencyPruneInterval = time.Hour

const maxIdempotencyKeyLength = 255

// idempotency replays the stored outcome of a POST repeated with the same
// Idempotency-Key and serializes concurrent requests that share a key, so
// only one of them executes.
type idempotency struct {
	store Store
	locks keyedMutex

	pruneMu   sync.Mutex
	lastPrune time.Time
}

func newIdempotency(store Store) *idempotency {
	return &idempotency{store: store, locks: keyedMutex{locks: map[string]*refCountedMutex{}}}
}

// serveIdempotent dispatches a create that carries an Idempotency-Key: the
// first request with the key runs the handler and stores its success; a
// repeat replays that success and changes nothing.
func (s *Server) serveIdempotent(w http.ResponseWriter, rt route, c *call, key string) {
	if err := validateIdempotencyKey(key); err != nil {
		s.writeError(w, c.r, err)
		return
	}
	lookupID := idempotencyLookupID(c.actor.ID, key)
	fingerprint := requestFingerprint(c.r.Method, c.r.URL.Path, c.body)
	unlock := s.idempotency.locks.lock(lookupID)
	defer unlock()

	rec, found, err := s.idempotency.lookup(lookupID, c.now)
	if err != nil {
		s.writeError(w, c.r, err)
		return
	}
	if found {
		if rec.Fingerprint != fingerprint {
			s.writeError(w, c.r, errIdempotencyKeyReused)
			return
		}
		body, err := s.idempotency.open(rec, key)
		if err != nil {
			s.writeError(w, c.r, err)
			return
		}
		writeReplay(w, rec.Status, body)
		return
	}

	// The create and the record that replays it commit together, so a
	// crash between them cannot leave an object whose retry creates another.
	// Only successes are stored: a failed request changed nothing, so a retry
	// deserves a fresh evaluation (the key limit may have been lifted since).
	var (
		res  apiResponse
		body []byte
	)
	err = s.store.Atomically(func(tx Store) error {
		c.store = tx
		defer func() { c.store = s.store }()
		var err error
		if res, body, err = run(rt, c); err != nil {
			return err
		}
		return s.idempotency.save(tx, lookupID, key, fingerprint, res.status, body, c.now)
	})
	if err != nil {
		s.writeError(w, c.r, err)
		return
	}
	s.idempotency.prune(c.now)
	s.respond(w, res, body)
}

func validateIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKeyLength {
		return invalidField("Idempotency-Key", "the Idempotency-Key header must be 1 to %d printable ASCII characters", maxIdempotencyKeyLength)
	}
	for _, r := range key {
		if r < ' ' || r > '~' {
			return invalidField("Idempotency-Key", "the Idempotency-Key header must be 1 to %d printable ASCII characters", maxIdempotencyKeyLength)
		}
	}
	return nil
}

// idempotencyLookupID is what the store keys records by: a hash, so the
// plaintext Idempotency-Key (which also derives the encryption key) is never
// stored. The actor is part of it, so actors cannot see each other's replays.
func idempotencyLookupID(actorID, key string) string {
	sum := sha256.Sum256([]byte(actorID + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

func requestFingerprint(method, path string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(method + "\x00" + path + "\x00"))
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// lookup returns the live record for lookupID, if any. Records older than the
// retention are treated as absent and are overwritten by the next save.
func (i *idempotency) lookup(lookupID string, now time.Time) (IdempotencyRecord, bool, error) {
	rec, err := i.store.GetIdempotencyRecord(lookupID)
	if errors.Is(err, ErrNotFound) {
		return IdempotencyRecord{}, false, nil
	}
	if err != nil {
		return IdempotencyRecord{}, false, err
	}
	if now.Sub(rec.CreatedAt) >= idempotencyRetention {
		return IdempotencyRecord{}, false, nil
	}
	return rec, true, nil
}

// save stores the response to replay in store, which may be the view of a
// transaction that also holds the change.
func (i *idempotency) save(store Store, lookupID, key string, fingerprint [sha256.Size]byte, status int, body []byte, now time.Time) error {
	aead, err := responseCipher(key)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	rec := IdempotencyRecord{
		LookupID:    lookupID,
		Fingerprint: fingerprint,
		Status:      status,
		Nonce:       nonce,
		Ciphertext:  aead.Seal(nil, nonce, body, []byte(lookupID)),
		CreatedAt:   now,
	}
	return store.PutIdempotencyRecord(rec)
}

func (i *idempotency) open(rec IdempotencyRecord, key string) ([]byte, error) {
	aead, err := responseCipher(key)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, rec.Nonce, rec.Ciphertext, []byte(rec.LookupID))
}

// prune sweeps records past their retention, at most once per
// idempotencyPruneInterval.
func (i *idempotency) prune(now time.Time) {
	i.pruneMu.Lock()
	due := now.Sub(i.lastPrune) >= idempotencyPruneInterval
	if due {
		i.lastPrune = now
	}
	i.pruneMu.Unlock()
	if due {
		i.store.DeleteIdempotencyRecordsBefore(now.Add(-idempotencyRetention))
	}
}

// responseCipher derives the AES-256-GCM key for stored responses from the
// Idempotency-Key, so a stored secret is readable only by whoever holds it.
func responseCipher(idempotencyKey string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("horizon-idempotency-v1\x00" + idempotencyKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func writeReplay(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Idempotent-Replayed", "true")
	writeJSONBytes(w, status, body)
}

// keyedMutex hands out one mutex per key and forgets it once nobody holds or
// waits for it.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*refCountedMutex
}

type refCountedMutex struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	m, ok := k.locks[key]
	if !ok {
		m = &refCountedMutex{}
		k.locks[key] = m
	}
	m.refs++
	k.mu.Unlock()

	m.Lock()
	return func() {
		m.Unlock()
		k.mu.Lock()
		m.refs--
		if m.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
