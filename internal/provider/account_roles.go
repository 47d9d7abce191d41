package provider

import (
	"context"
	"sync"

	"github.com/horizonhq/terraform-provider-horizon/internal/client"
)

// accountRoles is what this provider process knows of service accounts'
// organization roles, for the plan of a grant, which warns when the grant
// changes nothing. It learns a role from what the provider does anyway
// (creating, reading, updating or planning an account) and asks Horizon only
// for an account it has not seen, once per account, so plans and applies
// that only touch accounts they manage make no request for it.
type accountRoles struct {
	mu    sync.Mutex
	roles map[string]string
	reads map[string]*roleRead
}

// roleRead is one read of an account's role; done closes when it ends.
type roleRead struct {
	done chan struct{}
	role string
	err  error
}

func newAccountRoles() *accountRoles {
	return &accountRoles{roles: map[string]string{}, reads: map[string]*roleRead{}}
}

// learn records the role of account id, as this provider just saw or planned it.
func (a *accountRoles) learn(id, role string) {
	if a == nil || id == "" || role == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roles[id] = role
}

// lookup returns the role of account id: the one learnt, or else Horizon's,
// read once however many grants ask at the same time.
func (a *accountRoles) lookup(ctx context.Context, c *client.Client, id string) (string, error) {
	a.mu.Lock()
	if role, ok := a.roles[id]; ok {
		a.mu.Unlock()
		return role, nil
	}
	read, busy := a.reads[id]
	if !busy {
		read = &roleRead{done: make(chan struct{})}
		a.reads[id] = read
	}
	a.mu.Unlock()
	if busy {
		select {
		case <-read.done:
			return read.role, read.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	sa, err := c.GetServiceAccount(ctx, id)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		read.role = sa.Role
		if _, learnt := a.roles[id]; !learnt {
			a.roles[id] = sa.Role
		}
	}
	read.err = err
	delete(a.reads, id)
	close(read.done)
	return read.role, read.err
}
