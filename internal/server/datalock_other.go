//go:build !unix

package server

import (
	"errors"
	"os"
)

// lockDataFile refuses: without flock this server cannot make sure that it is
// the only one using a data file.
func lockDataFile(path string) (*os.File, error) {
	return nil, errors.New("a data file (-data) needs a Unix system, whose file locks keep a second server off it; " +
		"run without -data to keep everything in memory")
}
