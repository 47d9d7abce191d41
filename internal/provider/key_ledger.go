package provider

import (
	"context"
	"sync"
	"time"
)

// keyLedger is one configured provider's record of the key changes it plans
// and makes, per key owner. Terraform runs a plan, and an apply, in one
// provider process, calling it for many resources at once and in no fixed
// order; the ledger is how the plan of one key learns of this plan's other
// key changes, and how a create that meets the key limit learns that this
// same apply is revoking a key of its owner. It is the provider's state, not
// the API client's: the client knows nothing of plans and applies.
//
// Terraform plans a replacement twice (once with the prior state, once as a
// create) and re-plans every create during the apply, right before it; the
// ledger counts a planned create once per plan call that is not the second
// half of a replacement, and Create settles it.
type keyLedger struct {
	mu     sync.Mutex
	owners map[string]*ownerRecord
	// plannedKeys holds the keys this plan has planned (kept, changed,
	// replaced or destroyed), by id; planChanged is closed, and replaced,
	// whenever one is added.
	plannedKeys map[string]bool
	planChanged chan struct{}
	// phaseKnown is closed once the process has shown whether it serves a
	// plan or an apply; applying says which.
	phaseKnown chan struct{}
	applying   bool
}

type ownerRecord struct {
	// createdHere is set when this provider created the owner (a service
	// account): it started with no keys, so its active keys are the ones this
	// provider created since.
	createdHere bool
	created     []activeKey
	// pendingCreates counts keys planned and not created yet.
	pendingCreates int
	// plannedRevokes holds the keys this plan destroys at once.
	plannedRevokes map[string]bool
	// revoking counts the revokes under way, per key; revoked holds the keys
	// this provider revoked; revokes counts finished revokes, so a create can
	// tell whether one finished while it was waiting for Horizon.
	revoking map[string]int
	revoked  map[string]bool
	revokes  uint64
	// idle is closed when no revoke is under way; began is closed, and
	// replaced, whenever one begins.
	idle  chan struct{}
	began chan struct{}
	// retiring holds the keys this provider gave a grace period, with its end.
	retiring map[string]string
}

func newKeyLedger() *keyLedger {
	return &keyLedger{
		owners:      map[string]*ownerRecord{},
		plannedKeys: map[string]bool{},
		planChanged: make(chan struct{}),
		phaseKnown:  make(chan struct{}),
	}
}

// Terraform runs a plan and its apply in separate provider processes and
// tells neither which it serves, but what it asks for does: only a plan
// refreshes resources and plans destroys and unchanged resources; only an
// apply creates, updates and deletes. An apply re-plans each create just
// before it, without the plan's knowledge of the other changes (such as a key
// revoked by the same apply, which Terraform may start a moment later), so a
// limit warning there would be noise: the plan already warned, and the create
// reports the limit itself if it is reached.

// phaseWait bounds how long a key's plan that would warn waits for the
// process to show whether it plans or applies. Terraform starts an apply's
// independent operations together, so an apply shows itself within moments;
// the wait is spent only by a plan that would warn and is its process's very
// first operation.
const phaseWait = 2 * time.Second

// planning records that this process serves a plan.
func (l *keyLedger) planning() { l.learnPhase(false) }

// applyingChanges records that this process serves an apply.
func (l *keyLedger) applyingChanges() { l.learnPhase(true) }

func (l *keyLedger) learnPhase(applying bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.phaseKnown:
	default:
		l.applying = applying
		close(l.phaseKnown)
	}
}

// inApply reports whether this process serves an apply, waiting up to
// phaseWait for it to show; a process that has not shown by then counts as a
// plan, so a warning is never lost.
func (l *keyLedger) inApply(ctx context.Context) bool {
	timer := time.NewTimer(phaseWait)
	defer timer.Stop()
	select {
	case <-l.phaseKnown:
	case <-timer.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applying
}

// owner returns the record of owner; l.mu must be held.
func (l *keyLedger) owner(owner string) *ownerRecord {
	r, ok := l.owners[owner]
	if !ok {
		idle := make(chan struct{})
		close(idle)
		r = &ownerRecord{
			plannedRevokes: map[string]bool{},
			revoking:       map[string]int{},
			revoked:        map[string]bool{},
			retiring:       map[string]string{},
			idle:           idle,
			began:          make(chan struct{}),
		}
		l.owners[owner] = r
	}
	return r
}

// ownerCreated records that this provider created owner, with no keys.
func (l *keyLedger) ownerCreated(owner string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owner(owner).createdHere = true
}

// createdHere reports whether this provider created owner, so that a plan
// knows its keys without asking Horizon.
func (l *keyLedger) createdHere(owner string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner(owner).createdHere
}

// planCreate counts a planned create of a key of owner and returns how many
// other creates were planned and are not created yet.
func (l *keyLedger) planCreate(owner string) (others int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.owner(owner)
	others = r.pendingCreates
	r.pendingCreates++
	return others
}

// pendingCreates returns how many creates of keys of owner are planned and not
// made yet, for the second plan of a replacement, which planCreate has
// already counted.
func (l *keyLedger) pendingCreates(owner string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner(owner).pendingCreates
}

// keyPlanned records that this plan has planned the key with id, whatever it
// does with it.
func (l *keyLedger) keyPlanned(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.plannedKeys[id] {
		l.plannedKeys[id] = true
		close(l.planChanged)
		l.planChanged = make(chan struct{})
	}
}

// planWait bounds how long the plan of a new key that would pass the limit
// waits for the plans of the owner's other keys. Terraform and OpenTofu plan
// independent resources in no set order, so the destroy that frees a slot may
// be planned after the create that needs it; every key of the configuration
// is planned in this same process, so the wait ends as soon as each of the
// owner's active keys has been. A key that the configuration does not manage
// is never planned: such a plan waits the whole bound, and warns.
const planWait = 2 * time.Second

// awaitKeyPlans waits until each key in ids has been planned, planWait has
// passed, or ctx ends.
func (l *keyLedger) awaitKeyPlans(ctx context.Context, ids []string) {
	timer := time.NewTimer(planWait)
	defer timer.Stop()
	for {
		l.mu.Lock()
		waiting, changed := false, l.planChanged
		for _, id := range ids {
			waiting = waiting || !l.plannedKeys[id]
		}
		l.mu.Unlock()
		if !waiting {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// planRevoke records that this plan destroys key of owner at once.
func (l *keyLedger) planRevoke(owner, keyID string) {
	l.mu.Lock()
	l.owner(owner).plannedRevokes[keyID] = true
	l.mu.Unlock()
	l.keyPlanned(keyID)
}

// settleCreate records the outcome of a create: the pending create is no
// longer pending, and key, when not nil, is active.
func (l *keyLedger) settleCreate(owner string, key *activeKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.owner(owner)
	r.pendingCreates = max(0, r.pendingCreates-1)
	if key != nil {
		r.created = append(r.created, *key)
	}
}

// retire records that key of owner keeps working until expiresAt.
func (l *keyLedger) retire(owner, keyID, expiresAt string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owner(owner).retiring[keyID] = expiresAt
}

// markRetiring marks the keys of owner that this provider gave a grace period.
func (l *keyLedger) markRetiring(owner string, keys []activeKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owner(owner).markRetiring(keys)
}

func (r *ownerRecord) markRetiring(keys []activeKey) {
	for i := range keys {
		if end, ok := r.retiring[keys[i].ID]; ok {
			keys[i].Retiring, keys[i].ExpiresAt = true, end
		}
	}
}

// beginRevoke records a revoke under way; the returned function ends it.
func (l *keyLedger) beginRevoke(owner, keyID string) (end func(revoked bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.owner(owner)
	if len(r.revoking) == 0 {
		r.idle = make(chan struct{})
	}
	r.revoking[keyID]++
	close(r.began)
	r.began = make(chan struct{})
	return func(revoked bool) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if r.revoking[keyID]--; r.revoking[keyID] == 0 {
			delete(r.revoking, keyID)
		}
		if revoked {
			r.revoked[keyID] = true
			r.revokes++
		}
		if len(r.revoking) == 0 {
			close(r.idle)
		}
	}
}

// revokeCount is how many revokes of keys of owner have finished, for
// waitForRevokes.
func (l *keyLedger) revokeCount(owner string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.owner(owner).revokes
}

// revokeStartWait bounds how long a refused create waits for a revoke of its
// owner to begin. Terraform starts an apply's independent operations
// together, but in no set order: the create of a key can reach Horizon, and
// be refused, before the provider has even been asked for the revoke that
// frees its slot (seen on a loaded machine: 4 ms after Terraform began the
// revoke). The wait ends as soon as a revoke begins; it is spent in full only
// by a create that meets the limit with no revoke coming, which then fails.
const revokeStartWait = 2 * time.Second

// waitForRevokes is for a create of a key of owner that Horizon refused at the
// key limit. It reports whether trying once more can succeed because of this
// provider's own revokes: true, after they finish, when revokes of owner's
// keys are under way or begin within revokeStartWait; true when one finished
// since the create began (before was revokeCount then); false otherwise. It
// waits on the revokes themselves, or until ctx ends.
func (l *keyLedger) waitForRevokes(ctx context.Context, owner string, before uint64) bool {
	l.mu.Lock()
	r := l.owner(owner)
	busy, idle, began, done := len(r.revoking) > 0, r.idle, r.began, r.revokes > before
	l.mu.Unlock()
	if !busy && !done {
		timer := time.NewTimer(revokeStartWait)
		defer timer.Stop()
		select {
		case <-began:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
		l.mu.Lock()
		idle = r.idle
		l.mu.Unlock()
	}
	select {
	case <-idle:
	case <-ctx.Done():
		return false
	}
	return l.revokeCount(owner) > before
}

// view is what a plan knows of owner's keys, given the keys Horizon lists as
// active (nil when the plan did not ask, because this provider created the
// owner) and the owner's limit.
func (l *keyLedger) view(owner, describe string, limit int, listed []activeKey, otherCreates int) ownerKeys {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.owner(owner)
	if r.createdHere {
		listed = r.created
	}
	k := ownerKeys{Owner: describe, Limit: limit, Freed: map[string]bool{}, OtherCreates: otherCreates}
	for _, key := range listed {
		if r.revoked[key.ID] || r.revoking[key.ID] > 0 {
			continue
		}
		if r.plannedRevokes[key.ID] {
			k.Freed[key.ID] = true
		}
		k.Active = append(k.Active, key)
	}
	r.markRetiring(k.Active)
	return k
}

// graceEnd is when a grace period that starts at now ends: whole seconds, as
// Horizon takes expiry times, rounded down so that a key never outlives the
// grace period it was given.
func graceEnd(now time.Time, grace time.Duration) time.Time {
	return now.Add(grace).UTC().Truncate(time.Second)
}
