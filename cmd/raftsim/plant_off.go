//go:build !raftbugs

package main

import "fmt"

// plantedBug names the planted Raft bug switched on: none, in a normal
// build.
func plantedBug() string { return "" }

// plantBug switches a planted Raft bug on for a replay: impossible in a
// normal build, which carries none.
func plantBug(name string) (func(), error) {
	return nil, fmt.Errorf("the run had the Raft bug %q planted, and only a raftsim built with -tags raftbugs carries planted bugs (make selftest builds one)", name)
}
