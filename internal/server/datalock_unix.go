//go:build unix

package server

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDataFile opens the data file at path, creating it when absent, and
// takes an exclusive advisory lock (flock) on it, held until the file is
// closed: a second server on the same file is refused at start. SQLite's own
// locks are POSIX record locks, which flock does not touch.
func lockDataFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: the data file is the operator's choice (-data)
	if err != nil {
		return nil, fmt.Errorf("data file %s cannot be opened: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { //nolint:gosec // G115: a file descriptor fits an int
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data file %s is in use by another horizon-server: stop that one first, or pass another -data file", path)
		}
		return nil, fmt.Errorf("data file %s cannot be locked: %w", path, err)
	}
	return f, nil
}
