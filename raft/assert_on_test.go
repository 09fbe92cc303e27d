//go:build invariants

package raft

import (
	"strings"
	"testing"
)

// The full-state checks catch a corrupted node at its next input.
func TestInvariantChecksCatchCorruption(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(n *Node)
		want    string
	}{
		{"commit past the log", func(n *Node) { n.log.committed = n.log.lastIndex() + 1 }, "committed"},
		{"applied past commit", func(n *Node) { n.log.applied = n.log.committed + 1 }, "applied"},
		{"term decreasing along the log", func(n *Node) { n.log.entries.at(1).Term = 0; n.log.verified = 0 }, "after term"},
		{"entry from the future", func(n *Node) { n.term = 0 }, "after the node's term"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := nodeWithLog(t, 1, []NodeID{1, 2, 3}, []Term{1, 1, 2}, 2)
			tc.corrupt(n)
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), tc.want) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.want)
				}
			}()
			n.Tick()
		})
	}
}
