//go:build raftbugs

package main

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// plantedBug names the planted Raft bug switched on, or "".
func plantedBug() string {
	in, _ := bugs.InfoOf(bugs.Active())
	return in.Name
}

// plantBug switches the named bug on and returns what switches it off.
func plantBug(name string) (func(), error) {
	b, ok := bugs.ByName(name)
	if !ok {
		return nil, fmt.Errorf("no planted bug %q in this build", name)
	}
	prev := bugs.Active()
	bugs.Set(b)
	return func() { bugs.Set(prev) }, nil
}
