//go:build !invariants

package raft

// checkInvariants is empty in normal builds; see assert_on.go.
func (n *Node) checkInvariants() {}
