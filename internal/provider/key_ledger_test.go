package provider

import (
	"context"
	"testing"
	"time"
)

func TestKeyLedgerWaitForRevokes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newKeyLedger()

	before := l.revokeCount("sa_a")
	start := time.Now()
	if l.waitForRevokes(ctx, "sa_a", before) {
		t.Error("with no revoke of the account, a refused create must fail")
	}
	if waited := time.Since(start); waited < revokeStartWait/2 {
		t.Errorf("waited %s for a revoke to begin, want about %s", waited, revokeStartWait)
	}

	// A revoke that Terraform starts a moment after the refusal: the create
	// waits for it to begin and to finish, then tries again.
	began := make(chan bool)
	go func() { began <- l.waitForRevokes(ctx, "sa_late", 0) }()
	time.Sleep(20 * time.Millisecond)
	late := l.beginRevoke("sa_late", "key_9")
	select {
	case <-began:
		t.Fatal("waitForRevokes returned before the late revoke finished")
	case <-time.After(20 * time.Millisecond):
	}
	late(true)
	if !<-began {
		t.Error("after a revoke that began late and finished, the create must try again")
	}

	// A revoke under way: the create waits for it, then tries again.
	end := l.beginRevoke("sa_a", "key_1")
	waited := make(chan bool)
	go func() { waited <- l.waitForRevokes(ctx, "sa_a", before) }()
	select {
	case <-waited:
		t.Fatal("waitForRevokes returned while the revoke was under way")
	case <-time.After(20 * time.Millisecond):
	}
	end(true)
	if !<-waited {
		t.Error("after the revoke finished, the create must try again")
	}

	// A revoke that finished while the create waited for Horizon.
	if !l.waitForRevokes(ctx, "sa_a", before) {
		t.Error("a revoke finished since the create began: it must try again")
	}
	if l.waitForRevokes(ctx, "sa_a", l.revokeCount("sa_a")) {
		t.Error("no revoke since the create began: it must fail at once")
	}

	// A revoke that failed frees nothing; another account's revoke neither.
	before = l.revokeCount("sa_a")
	failed := l.beginRevoke("sa_a", "key_2")
	go func() {
		time.Sleep(10 * time.Millisecond)
		failed(false)
		l.beginRevoke("sa_b", "key_3")(true)
	}()
	if l.waitForRevokes(ctx, "sa_a", before) {
		t.Error("a failed revoke, or one of another account, must not make the create try again")
	}

	// A create whose apply is interrupted stops waiting.
	l.beginRevoke("sa_c", "key_4")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if l.waitForRevokes(cancelled, "sa_c", 0) {
		t.Error("a cancelled wait must not retry")
	}
}

func TestKeyLedgerView(t *testing.T) {
	t.Parallel()
	l := newKeyLedger()
	listed := []activeKey{{ID: "key_1"}, {ID: "key_2"}, {ID: "key_3"}, {ID: "key_4"}}
	l.beginRevoke("sa_a", "key_1")(true)
	l.beginRevoke("sa_a", "key_2") // under way
	l.planRevoke("sa_a", "key_3")
	l.retire("sa_a", "key_4", "2026-12-01T13:00:00Z")

	k := l.view("sa_a", "service account sa_a", 2, listed, 1)
	if len(k.Active) != 2 || k.Active[0].ID != "key_3" || k.Active[1].ID != "key_4" {
		t.Fatalf("active = %+v, want key_3 and key_4: revoked and revoking keys hold no slot", k.Active)
	}
	if !k.Freed["key_3"] || k.Freed["key_4"] {
		t.Errorf("freed = %v, want key_3 only", k.Freed)
	}
	if !k.Active[1].Retiring || k.Active[1].ExpiresAt != "2026-12-01T13:00:00Z" {
		t.Errorf("key_4 = %+v, want retiring until its grace period ends", k.Active[1])
	}
	if k.OtherCreates != 1 || k.Limit != 2 || k.Owner != "service account sa_a" {
		t.Errorf("view = %+v", k)
	}

	// An account this provider created: its keys are the ones it created since.
	l.ownerCreated("sa_new")
	l.planCreate("sa_new")
	l.settleCreate("sa_new", &activeKey{ID: "key_made"})
	l.planCreate("sa_new")
	l.settleCreate("sa_new", nil)
	k = l.view("sa_new", "", 2, nil, l.pendingCreates("sa_new"))
	if len(k.Active) != 1 || k.Active[0].ID != "key_made" || k.OtherCreates != 0 {
		t.Errorf("view of an account created here = %+v, want its one created key and no pending create", k)
	}
}
