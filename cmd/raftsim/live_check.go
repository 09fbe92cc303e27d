package main

import (
	"fmt"
	"regexp"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/filestore"
	"github.com/raftsim/raftsim/raft/kv"
)

// logCheck is what the nodes' durable logs say after a live run.
type logCheck struct {
	// Commits is each node's durable commit index, in ID order.
	Commits []raft.Index
	// Executed counts commands executed on the node with the longest
	// committed log; Retries the retried commands its sessions answered.
	Executed, Retries uint64
	// Violation is the first broken invariant, or nil.
	Violation *checker.Violation
}

// checkLogs replays every node's committed log, read from its data
// directory, through the kv state machine and the checker's invariants:
// state machine safety (every node applied the same entry at each index)
// and client at-most-once (no session's command executed twice). The
// nodes must be stopped.
func checkLogs(ids []raft.NodeID, dirs []string) (logCheck, error) {
	var lc logCheck
	inv := checker.NewInvariants(ids)
	for i, id := range ids {
		ents, commit, err := committedLog(dirs[i])
		if err != nil {
			return lc, fmt.Errorf("node %d: %w", id, err)
		}
		lc.Commits = append(lc.Commits, commit)
		executed, retries, v := replayLog(inv, id, ents)
		if v != nil && lc.Violation == nil {
			lc.Violation = v
		}
		if executed+retries >= lc.Executed+lc.Retries {
			lc.Executed, lc.Retries = executed, retries
		}
	}
	return lc, nil
}

// committedLog reads the entries up to the durable commit index.
func committedLog(dir string) ([]raft.Entry, raft.Index, error) {
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		return nil, 0, err
	}
	defer st.Close()
	hs, err := st.InitialState()
	if err != nil {
		return nil, 0, err
	}
	first, err := st.FirstIndex()
	if err != nil {
		return nil, 0, err
	}
	if first > 1 {
		// A compacted log starts from a snapshot, whose state the replay
		// would have to restore first; live runs do not compact.
		return nil, 0, fmt.Errorf("the log starts at index %d: replaying a compacted log is not supported", first)
	}
	if hs.Commit < first {
		return nil, hs.Commit, nil
	}
	ents, err := st.Entries(first, hs.Commit+1)
	return ents, hs.Commit, err
}

// replayLog applies ents to a fresh store, reporting each execution to
// inv, and returns the executions, the retries answered from sessions,
// and the first violation.
func replayLog(inv *checker.Invariants, id raft.NodeID, ents []raft.Entry) (executed, retries uint64, first *checker.Violation) {
	sm := kv.New()
	for _, e := range ents {
		before := sm.Executed()
		sm.Apply(e)
		var client, seq uint64
		switch {
		case sm.Executed() > before:
			c, q := sm.LastExecuted()
			client, seq = uint64(c), uint64(q)
			executed++
		case e.Type == raft.EntryNormal:
			retries++
		}
		if v := inv.ObserveApply(id, e, client, seq); v != nil && first == nil {
			first = v
		}
	}
	return executed, retries, first
}

// appendToken matches the values the workload appends: unique per
// client and sequence number, and delimited, so that an append applied
// twice shows in every later read of its key.
var appendToken = regexp.MustCompile(`\[c\d+-\d+\]`)

// checkAppendsOnce checks, from the history alone, that no read saw an
// appended value twice: client at-most-once as the clients observe it.
func checkAppendsOnce(h []checker.Operation) *checker.Violation {
	for _, op := range h {
		if op.Kind != checker.OpGet || op.Outcome != checker.OutcomeOK || len(op.Output) == 0 {
			continue
		}
		seen := map[string]bool{}
		for _, tok := range appendToken.FindAllString(op.Output, -1) {
			if seen[tok] {
				return &checker.Violation{Invariant: "client-at-most-once",
					Message: fmt.Sprintf("client %d's read of %s (invoked at %.3fs) holds the append %s twice: a command took effect twice",
						op.ClientID, op.Key, float64(op.Invoke)/1e9, tok)}
			}
			seen[tok] = true
		}
	}
	return nil
}
