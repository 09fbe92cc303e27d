package server

import (
	"sync/atomic"

	"github.com/raftsim/raftsim/raft"
)

// Status is what the server last published, after its latest round.
type Status struct {
	raft.Status
	// Running is false before Run starts and after it returns.
	Running bool
	// Config is the configuration the node runs with: the latest in its
	// log (§6).
	Config raft.ConfState
	// Proposals and Reads count the requests handed to the node;
	// Busy those refused for a full queue or bound. Readies counts
	// Readies carried out, Syncs their fsyncs, SyncedEntries the entries
	// those fsyncs made durable (SyncedEntries/Syncs is the group-commit
	// batch). BadMessages counts messages the node refused. Snapshots
	// counts compactions; Restores state machine resets from a snapshot.
	Proposals, Reads, Busy, Readies, Syncs, SyncedEntries, BadMessages uint64
	Snapshots, Restores                                                uint64
}

type counters struct {
	proposals, reads, busy, readies, syncs, syncedEntries, badMessages atomic.Uint64
	snapshots, restores                                                atomic.Uint64
}

// Status returns the last published status; safe from any goroutine.
func (s *Server) Status() Status { return *s.status.Load() }

// Done is closed when Run has returned.
func (s *Server) Done() <-chan struct{} { return s.done }

// publish makes the node's state visible to other goroutines (Run's
// goroutine only).
func (s *Server) publish() {
	st := &Status{
		Status:    s.node.Status(),
		Running:   s.started.Load(),
		Config:    s.node.Config(),
		Proposals: s.counts.proposals.Load(), Reads: s.counts.reads.Load(), Busy: s.counts.busy.Load(),
		Readies: s.counts.readies.Load(), Syncs: s.counts.syncs.Load(), SyncedEntries: s.counts.syncedEntries.Load(),
		BadMessages: s.counts.badMessages.Load(),
		Snapshots:   s.counts.snapshots.Load(), Restores: s.counts.restores.Load(),
	}
	select {
	case <-s.done:
		st.Running = false
	default:
	}
	s.status.Store(st)
}
