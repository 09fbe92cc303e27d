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
	// Commits is each node's durable commit index, in ID order;
	// Snapshots the index of each node's snapshot (0: none), where its
	// log starts.
	Commits, Snapshots []raft.Index
	// Executed counts commands executed on the node with the longest
	// committed log after its snapshot; Retries the retried commands its
	// sessions answered.
	Executed, Retries uint64
	// Violation is the first broken invariant, or nil.
	Violation *checker.Violation
}

// liveMaxSessions is the session bound of a live run's nodes (serve's
// default), which the replay of their logs must share.
const liveMaxSessions = defaultMaxSessions

// nodeLog is one node's durable state: its snapshot (if any) and the
// committed entries after it.
type nodeLog struct {
	snap   raft.Snapshot
	ents   []raft.Entry
	commit raft.Index
}

// checkLogs replays every node's committed log, read from its data
// directory, through the kv state machine and the checker's invariants:
// state machine safety (every node applied the same entry at each index)
// and client at-most-once (no session's command executed twice). A node
// whose log was compacted starts from its snapshot: every node's
// snapshot is restored first (ObserveRestore), then the logs replayed,
// and a node that applies an index some node snapshotted must reach that
// snapshot's state (snapshot-digest). The nodes must be stopped.
func checkLogs(ids []raft.NodeID, dirs []string) (logCheck, error) {
	var lc logCheck
	inv := checker.NewInvariants(ids)
	logs := make([]nodeLog, len(ids))
	sms := make([]*kv.Store, len(ids))
	for i, id := range ids {
		nl, err := committedLog(dirs[i])
		if err != nil {
			return lc, fmt.Errorf("node %d: %w", id, err)
		}
		// The nodes' own session limits, so that registration, eviction
		// and expiry replay exactly.
		logs[i], sms[i] = nl, kv.NewWithSessions(kv.SessionLimits{Max: liveMaxSessions})
		lc.Commits = append(lc.Commits, nl.commit)
		lc.Snapshots = append(lc.Snapshots, nl.snap.Meta.Index)
		if nl.snap.Meta.Index == 0 {
			continue
		}
		if err := sms[i].Restore(nl.snap.Data); err != nil {
			return lc, fmt.Errorf("node %d: its snapshot at index %d does not restore: %w", id, nl.snap.Meta.Index, err)
		}
		if v := inv.ObserveRestore(id, nl.snap.Meta.Index, nl.snap.Meta.Term, sms[i].Digest()); v != nil && lc.Violation == nil {
			lc.Violation = v
		}
	}
	for i, id := range ids {
		executed, retries, v := replayLog(inv, id, sms[i], logs[i].ents)
		if v != nil && lc.Violation == nil {
			lc.Violation = v
		}
		if executed+retries >= lc.Executed+lc.Retries {
			lc.Executed, lc.Retries = executed, retries
		}
	}
	return lc, nil
}

// committedLog reads a node's snapshot and the entries after it up to
// the durable commit index.
func committedLog(dir string) (nodeLog, error) {
	var nl nodeLog
	st, err := filestore.Open(dir, filestore.Options{})
	if err != nil {
		return nl, err
	}
	defer st.Close()
	hs, err := st.InitialState()
	if err != nil {
		return nl, err
	}
	nl.commit = hs.Commit
	if nl.snap, err = st.Snapshot(); err != nil {
		return nl, err
	}
	first, err := st.FirstIndex()
	if err != nil {
		return nl, err
	}
	// Entries kept behind the snapshot (--snapshot-keep) are in the
	// snapshot's state already: the replay starts after it.
	from := max(first, nl.snap.Meta.Index+1)
	if first > nl.snap.Meta.Index+1 {
		return nl, fmt.Errorf("the log starts at index %d, after its snapshot at %d: entries are missing", first, nl.snap.Meta.Index)
	}
	if hs.Commit < from {
		return nl, nil
	}
	nl.ents, err = st.Entries(from, hs.Commit+1)
	return nl, err
}

// replayLog applies ents to sm, reporting each execution to inv, and
// returns the executions, the retries answered from sessions, and the
// first violation.
func replayLog(inv *checker.Invariants, id raft.NodeID, sm *kv.Store, ents []raft.Entry) (executed, retries uint64, first *checker.Violation) {
	note := func(v *checker.Violation) {
		if v != nil && first == nil {
			first = v
		}
	}
	for _, e := range ents {
		before := sm.Executed()
		out := sm.Apply(e)
		var client, seq uint64
		switch {
		case sm.Executed() > before:
			c, q := sm.LastExecuted()
			client, seq = uint64(c), uint64(q)
			executed++
		case e.Type == raft.EntryNormal && answeredBySession(e, out):
			retries++
		}
		note(inv.ObserveApply(id, e, client, seq))
		if inv.WantsDigest(e.Index) {
			note(inv.ObserveDigest(id, e.Index, sm.Digest()))
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

// answeredBySession reports whether a normal entry that executed nothing
// was a retry answered from its session: not a registration, nor a
// command refused because its session was gone or its sequence number
// old, nor data that is no command.
func answeredBySession(e raft.Entry, out []byte) bool {
	c, err := kv.DecodeCommand(e.Data)
	if err != nil || c.Op == kv.OpRegister {
		return false
	}
	r, err := kv.DecodeResponse(out)
	if err != nil {
		return false
	}
	switch r.Status {
	case kv.StatusSessionExpired, kv.StatusStaleSequence, kv.StatusBadCommand:
		return false
	}
	return true
}
