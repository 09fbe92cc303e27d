package checker

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/raft"
)

// Violation is a broken Raft invariant: its name, the nodes, term and
// index involved, and a message with the numbers.
type Violation struct {
	Invariant string
	Message   string
	Node      raft.NodeID
	Term      raft.Term
	Index     raft.Index
}

func (v *Violation) Error() string { return v.Invariant + ": " + v.Message }

// NodeView is what the invariants read of a node; *raft.Node provides it.
type NodeView interface {
	Status() raft.Status
	Term(i raft.Index) (raft.Term, bool)
}

// LogView is a node's log as an election judges it (§5.4.1): its last
// index, and the term of the entry at an index (0 at index 0). A LogView
// of a node that compacts its log also implements CompactedView.
type LogView interface {
	LastIndex() raft.Index
	Term(i raft.Index) (raft.Term, bool)
}

// CompactedView is implemented by a LogView whose log may start after
// index 1: Compacted is the last index discarded into a snapshot (§7).
// Those entries are committed and count as held.
type CompactedView interface {
	Compacted() raft.Index
}

// compacted returns the last index lv has compacted away, or 0.
func compacted(lv LogView) raft.Index {
	if c, ok := lv.(CompactedView); ok {
		return c.Compacted()
	}
	return 0
}

// Cluster returns the current log of any node of the cluster: for a
// running node the log in its memory, for a crashed one the log it would
// restart with.
type Cluster func(id raft.NodeID) LogView

// Invariants checks Raft's safety properties online, as a simulation
// steps (Figure 3 of the Raft paper, and the promises Raft makes to
// clients). Each Observe method is cheap - O(1) or O(entries observed) -
// so that checking every step costs little. A method returns nil or the
// first violation it sees.
//
//   - Election Safety: at most one leader per term.
//   - Leader Append-Only: a leader never overwrites or deletes its own
//     entries.
//   - Log Matching: two logs with an entry of the same index and term are
//     identical up to it. Checked inductively: every (index, term) seen
//     anywhere must always carry the same command and follow the same
//     previous term.
//   - Leader Completeness: a new leader holds every committed entry.
//   - State Machine Safety: no two nodes apply different entries at an
//     index.
//   - Commit Safety (with a Cluster, see SetCluster): an entry a node
//     holds as committed is on every node that could still win an
//     election. This is what committing means, and it is checked the
//     moment a commit index moves, long before a later leader would
//     overwrite the entry.
//   - Commit and applied indexes never move back; every entry is applied
//     exactly once per node, in order; each client (ID, sequence) takes
//     effect at most once per node.
//   - Read freshness: a read never reflects state older than the commit
//     index when it began; and a server answers a read only once its
//     state machine has applied the read index (read-after-apply: with a
//     state machine that applies after the node moves on, sim's
//     Disk.ApplyLag).
//   - Protocol-aware recovery (repair.go): an acknowledgement never
//     vouches for an entry its sender's storage does not hold, so what a
//     node lost to corruption never counts towards a quorum; a node that
//     repairs its log (fenced) grants no vote and stands in no election,
//     and Commit Safety counts it out.
//   - The term rules, checked at the step that breaks them (see terms.go):
//     a leader handling a higher term steps down (stale-leader); a
//     pre-vote changes no one's term or vote (prevote-inert); a message
//     of an older term changes nothing but may be answered
//     (stale-term-inert); a restart
//     keeps the durable term and vote (hard-state-restored).
type Invariants struct {
	ids     []raft.NodeID
	leaders map[raft.Term]raft.NodeID
	// entries records, per index, the first (term, command hash, term of
	// the entry before it) seen there; other terms at the same index go
	// to moreEntries. Most indexes only ever hold one term, so the common
	// case is a slice lookup, not a hash. entries[i] is index
	// entriesBase+i: see release.
	entries     []entryFacts
	entriesBase raft.Index
	moreEntries map[entryKey]entryFacts
	// applied is the reference log of applied entries: entry
	// appliedBase+i+1 is applied[i]. Every node's applied sequence must
	// be a prefix of it.
	applied     []entryFacts
	appliedBase raft.Index
	// committedIn maps a term to the highest index its leader committed,
	// with that entry's term. Leader Completeness is about entries
	// committed in earlier terms, applied anywhere yet or not.
	committedIn map[raft.Term]commitMark
	nodes       []nodeFacts
	// cluster, when set, lets Commit Safety look at every node's log;
	// lasts is its scratch space.
	cluster Cluster
	lasts   []commitMark
	// snaps holds the snapshot checks' state (snapshots.go).
	snaps snapshotFacts
	// mem holds the membership checks' state (membership.go).
	mem membershipFacts
}

type commitMark struct {
	index raft.Index
	term  raft.Term
	// fenced is set, in Commit Safety's scratch space, for a node that
	// repairs its log: it neither votes nor stands.
	fenced bool
}

type entryKey struct {
	index raft.Index
	term  raft.Term
}

type entryFacts struct {
	term     raft.Term
	hash     uint64
	prevTerm raft.Term
	// exec fingerprints the client command the state machine executed
	// there (0: none, a retry answered from a session, or no command);
	// set in the reference log of applied entries only. Term 0 marks an
	// entry known only as covered by a snapshot (see ObserveRestore).
	exec uint64
	// config is set for a configuration entry (§6).
	config bool
}

type nodeFacts struct {
	// commit is the highest commit index seen in this incarnation.
	commit raft.Index
	// applied survives restarts: the state machine is durable.
	applied raft.Index
	// leaderTerm is the term in which the node leads (0: not a leader);
	// leaderLast/leaderLastTerm its last entry seen as leader.
	leaderTerm     raft.Term
	leaderLast     raft.Index
	leaderLastTerm raft.Term
	// durable is the hard state last known durable on the node (synced,
	// or presented by its storage at a restart): a restart must not come
	// back with an older term, or another vote in that term.
	durable raft.HardState
	// sessions holds, per client ID, the last sequence number executed
	// and where. The state machine executes a client's commands in
	// increasing sequence order, so a sequence at or below the last one
	// means a command ran twice (or out of order).
	sessions map[uint64]sessionFacts
}

type sessionFacts struct {
	seq   uint64
	index raft.Index
}

// NewInvariants returns a checker for a cluster of the given nodes.
func NewInvariants(ids []raft.NodeID) *Invariants {
	iv := &Invariants{
		ids:     ids,
		leaders: map[raft.Term]raft.NodeID{},
		nodes:   make([]nodeFacts, len(ids)),
		snaps:   snapshotFacts{digests: map[raft.Index]digestRecord{}},

		moreEntries: map[entryKey]entryFacts{},

		committedIn: map[raft.Term]commitMark{},
	}
	for i := range iv.nodes {
		iv.nodes[i].sessions = map[uint64]sessionFacts{}
	}
	return iv
}

// SetCluster gives the checker a view of every node's log, which turns on
// Commit Safety.
func (iv *Invariants) SetCluster(c Cluster) {
	iv.cluster = c
	iv.lasts = make([]commitMark, len(iv.ids))
}

func (iv *Invariants) node(id raft.NodeID) *nodeFacts {
	for i, x := range iv.ids {
		if x == id {
			return &iv.nodes[i]
		}
	}
	panic(fmt.Sprintf("checker: node %d is not in the cluster %v", id, iv.ids))
}

// hashData fingerprints a command: FNV-1a's constants over 8-byte words
// (the tail byte by byte), four times fewer multiplications than bytewise
// FNV. Collisions only weaken a check; they never fail a correct run.
func hashData(b []byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(b))
	for len(b) >= 8 {
		h ^= binary.LittleEndian.Uint64(b)
		h *= 1099511628211
		h ^= h >> 29
		b = b[8:]
	}
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// ObserveRole is called when a node changes role.
func (iv *Invariants) ObserveRole(id raft.NodeID, role raft.Role, term raft.Term, v NodeView) *Violation {
	nf := iv.node(id)
	if vi := checkFencedRole(id, role, term, v); vi != nil {
		return vi
	}
	if role != raft.RoleLeader {
		nf.leaderTerm = 0
		return nil
	}
	if prev, ok := iv.leaders[term]; ok && prev != id {
		return &Violation{Invariant: "election-safety", Node: id, Term: term,
			Message: fmt.Sprintf("nodes %d and %d are both leaders of term %d", prev, id, term)}
	}
	iv.leaders[term] = id
	if vi := iv.checkNewLeader(id, term, v); vi != nil {
		return vi
	}
	st := v.Status()
	nf.leaderTerm, nf.leaderLast, nf.leaderLastTerm = term, st.LastIndex, st.LastTerm
	// Leader Completeness: the leader holds every entry committed in an
	// earlier term. By Log Matching, holding the last of them means
	// holding every one before it. (A stale leader of an older term, seen
	// late, need not hold entries committed after it.)
	var mark commitMark
	for t, c := range iv.committedIn { // a maximum: order does not matter
		if t < term && c.index > mark.index {
			mark = c
		}
	}
	if k, want := mark.index, mark.term; k > 0 && k+1 >= st.FirstIndex {
		// (Entries before FirstIndex-1 are in the leader's snapshot,
		// which holds committed entries only.)
		if got, ok := v.Term(k); !ok || got != want {
			return &Violation{Invariant: "leader-completeness", Node: id, Term: term, Index: k,
				Message: fmt.Sprintf("new leader %d of term %d has term %d at index %d (present: %v), where an entry of term %d was committed in an earlier term", id, term, got, k, ok, want)}
		}
	}
	return nil
}

// ObserveAppend is called with the entries a node writes to its storage;
// v is the node after the write was decided.
func (iv *Invariants) ObserveAppend(id raft.NodeID, v NodeView, ents []raft.Entry) *Violation {
	prevTerm, _ := v.Term(ents[0].Index - 1)
	for i := range ents {
		e := &ents[i]
		if i > 0 {
			prevTerm = ents[i-1].Term
		}
		if e.Index < iv.entriesBase {
			continue // released: every node applied this index (see release)
		}
		facts := entryFacts{term: e.Term, hash: hashData(e.Data), prevTerm: prevTerm, config: e.Type == raft.EntryConfig}
		seen, ok := iv.lookupEntry(e.Index, e.Term)
		if !ok {
			iv.recordEntry(e.Index, facts)
			continue
		}
		if seen.hash != facts.hash || seen.prevTerm != facts.prevTerm {
			return &Violation{Invariant: "log-matching", Node: id, Term: e.Term, Index: e.Index,
				Message: fmt.Sprintf("node %d holds an entry at index %d, term %d that differs from another node's (command or previous term %d vs %d)", id, e.Index, e.Term, facts.prevTerm, seen.prevTerm)}
		}
	}
	for i := range ents {
		if ents[i].Type == raft.EntryConfig {
			return iv.checkConfigAppend(id, v, ents)
		}
	}
	return nil
}

func (iv *Invariants) lookupEntry(index raft.Index, term raft.Term) (entryFacts, bool) {
	if i := int(index - iv.entriesBase); i < len(iv.entries) {
		if f := iv.entries[i]; f.term == term {
			return f, true
		}
	}
	f, ok := iv.moreEntries[entryKey{index, term}]
	return f, ok
}

func (iv *Invariants) recordEntry(index raft.Index, f entryFacts) {
	i := int(index - iv.entriesBase)
	for i >= len(iv.entries) {
		iv.entries = append(iv.entries, entryFacts{})
	}
	if iv.entries[i].term == 0 {
		iv.entries[i] = f
		return
	}
	iv.moreEntries[entryKey{index, f.term}] = f
}

// releaseEvery is how far every node's applied index must move past what
// was last released before the facts behind it are released again.
const releaseEvery = 4096

// release drops the facts about the indexes up to through, which every
// node has applied, so that memory follows the gap between the slowest
// node and the fastest rather than the length of the run. The reference
// of applied entries is never consulted there again: each node's next
// apply is past its applied index, which is past through. The facts of
// Log Matching are consulted only by an entry written at such an index
// again, which a node does not do (it would be rewriting an entry it has
// applied, which Raft never does): such a write is no longer compared.
func (iv *Invariants) release(through raft.Index) {
	if k := int(through - iv.appliedBase); k > 0 {
		iv.applied = slices.Clone(iv.applied[k:])
		iv.appliedBase = through
	}
	if k := int(through + 1 - iv.entriesBase); k > 0 {
		iv.entries = slices.Clone(iv.entries[min(k, len(iv.entries)):])
		iv.entriesBase = through + 1
	}
	for key := range iv.moreEntries { // deleting: order does not matter
		if key.index <= through {
			delete(iv.moreEntries, key)
		}
	}
}

// ObserveNode is called after a node handled a batch of work.
func (iv *Invariants) ObserveNode(id raft.NodeID, v NodeView) *Violation {
	nf := iv.node(id)
	st := v.Status()
	iv.noteCommit(st.Commit, v)
	if vi := iv.checkRemovedLeader(id, st); vi != nil {
		return vi
	}
	if st.Commit < nf.commit {
		return &Violation{Invariant: "commit-monotonic", Node: id, Term: st.Term, Index: st.Commit,
			Message: fmt.Sprintf("node %d commit index moved back from %d to %d", id, nf.commit, st.Commit)}
	}
	if st.Commit > nf.commit && iv.cluster != nil {
		t, _ := v.Term(st.Commit)
		if vi := iv.checkCommitSafety(id, st.Commit, t); vi != nil {
			return vi
		}
	}
	nf.commit = st.Commit
	if nf.leaderTerm != 0 && (st.Role != raft.RoleLeader || st.Term != nf.leaderTerm) {
		// The tenure ended (the caller may learn of the role change
		// later): from now on the node may rewrite its log.
		nf.leaderTerm = 0
	}
	if nf.leaderTerm != 0 && st.Commit > iv.committedIn[nf.leaderTerm].index {
		t, _ := v.Term(st.Commit)
		iv.committedIn[nf.leaderTerm] = commitMark{index: st.Commit, term: t}
	}
	if nf.leaderTerm != 0 {
		// The entry that ended the leader's log when last seen is still
		// there, unchanged: nothing was truncated or overwritten since.
		if t, ok := v.Term(nf.leaderLast); (!ok || t != nf.leaderLastTerm) && nf.leaderLast+1 >= st.FirstIndex || st.LastIndex < nf.leaderLast {
			return &Violation{Invariant: "leader-append-only", Node: id, Term: nf.leaderTerm, Index: nf.leaderLast,
				Message: fmt.Sprintf("leader %d lost its entry %d of term %d (log now ends at %d)", id, nf.leaderLast, nf.leaderLastTerm, st.LastIndex)}
		}
		nf.leaderLast, nf.leaderLastTerm = st.LastIndex, st.LastTerm
	}
	return nil
}

// checkCommitSafety checks that the entry (index, term), which node id
// now holds as committed, is on every node that could win an election.
// A candidate needs the votes of a quorum, and a node votes only for a
// log at least as up to date as its own (§5.4.1); so a node without the
// entry must be less up to date than more than half the cluster.
//
// In a correct Raft this always holds, at any time after the commit: a
// quorum holds the entry and keeps it, every later leader holds it
// (Leader Completeness), and a log at least as up to date as a holder's
// either ends in a later term, whose leader sent it an entry after the
// committed one, or ends in the same term at a higher index, an entry of
// the same leader; by Log Matching it then holds the entry. Committing an
// earlier term's entry by counting replicas (Figure 8) breaks it at once.
func (iv *Invariants) checkCommitSafety(id raft.NodeID, index raft.Index, term raft.Term) *Violation {
	for i, x := range iv.ids {
		lv := iv.cluster(x)
		li := lv.LastIndex()
		lt, _ := lv.Term(li)
		iv.lasts[i] = commitMark{index: li, term: lt, fenced: fenced(lv)}
	}
	for i, x := range iv.ids {
		lv := iv.cluster(x)
		if t, ok := lv.Term(index); ok && t == term || index <= compacted(lv) {
			continue
		}
		me := iv.lasts[i]
		if me.fenced {
			continue // it stands in no election until it has the entry
		}
		if win, voters := iv.couldWin(x, me); win {
			return &Violation{Invariant: "commit-safety", Node: id, Term: term, Index: index,
				Message: fmt.Sprintf("node %d holds entry %d of term %d as committed, but node %d lacks it and could win an election: its log (last entry %d of term %d) is at least as up to date as those of nodes %v, %s", id, index, term, x, me.index, me.term, voters, quorumText(x, iv))}
		}
	}
	return nil
}

// ObserveRestart is called when a node restarts; its volatile commit
// index may start lower.
func (iv *Invariants) ObserveRestart(id raft.NodeID, v NodeView) *Violation {
	nf := iv.node(id)
	nf.commit = 0
	nf.leaderTerm = 0
	st := v.Status()
	if vi := iv.checkHardStateRestored(id, nf, st); vi != nil {
		return vi
	}
	// A node whose log lost applied entries resumes after what its state
	// machine holds all the same (raft.Status.AppliedFloor).
	if max(st.Applied, st.AppliedFloor) != nf.applied {
		return &Violation{Invariant: "applied-restored", Node: id, Term: st.Term, Index: st.Applied,
			Message: fmt.Sprintf("node %d restarted with applied index %d, but its state machine holds entries through %d", id, max(st.Applied, st.AppliedFloor), nf.applied)}
	}
	return nil
}

// CheckApplyOrder is called before a node's state machine applies e: it
// must be the entry after the last one applied (apply-exactly-once).
// ObserveApply checks the same, after.
func (iv *Invariants) CheckApplyOrder(id raft.NodeID, e raft.Entry) *Violation {
	if nf := iv.node(id); e.Index != nf.applied+1 {
		return &Violation{Invariant: "apply-exactly-once", Node: id, Term: e.Term, Index: e.Index,
			Message: fmt.Sprintf("node %d is about to apply index %d after %d", id, e.Index, nf.applied)}
	}
	return nil
}

// ObserveApply is called for each entry a node applies. client and seq
// are the command's session, when the state machine executed it (not
// when it recognised a retry); zero otherwise.
func (iv *Invariants) ObserveApply(id raft.NodeID, e raft.Entry, client, seq uint64) *Violation {
	nf := iv.node(id)
	if e.Index != nf.applied+1 {
		return &Violation{Invariant: "apply-exactly-once", Node: id, Term: e.Term, Index: e.Index,
			Message: fmt.Sprintf("node %d applied index %d after %d", id, e.Index, nf.applied)}
	}
	nf.applied = e.Index
	if e.Type == raft.EntryConfig {
		iv.noteConfigApplied(e)
	}
	facts := entryFacts{term: e.Term, hash: hashData(e.Data), exec: execKey(client, seq)}
	k := int(e.Index-iv.appliedBase) - 1
	switch {
	case k < len(iv.applied) && iv.applied[k].term == 0:
		// Known only as covered by a snapshot until now.
		iv.applied[k] = facts
	case k < len(iv.applied):
		ref := iv.applied[k]
		if ref.term != facts.term || ref.hash != facts.hash {
			return &Violation{Invariant: "state-machine-safety", Node: id, Term: e.Term, Index: e.Index,
				Message: fmt.Sprintf("node %d applied an entry of term %d at index %d, where another node applied one of term %d", id, e.Term, e.Index, ref.term)}
		}
		if ref.exec != facts.exec {
			// The same command, the same state before it (State Machine
			// Safety), yet a different effect: one replica's session table
			// differs, so a command runs twice or not at all somewhere.
			return &Violation{Invariant: "client-at-most-once", Node: id, Term: e.Term, Index: e.Index,
				Message: fmt.Sprintf("at index %d, node %d %s and the first node to apply it %s: their client sessions differ", e.Index, id, execWhat(facts.exec), execWhat(ref.exec))}
		}
	case k == len(iv.applied):
		iv.applied = append(iv.applied, facts)
	default:
		panic(fmt.Sprintf("checker: node %d applied index %d with the reference at %d", id, e.Index, len(iv.applied)))
	}
	if client != 0 {
		last := nf.sessions[client]
		if seq <= last.seq {
			return &Violation{Invariant: "client-at-most-once", Node: id, Term: e.Term, Index: e.Index,
				Message: fmt.Sprintf("node %d executed client %d's command %d at index %d after its command %d at index %d: a command ran twice or out of order", id, client, seq, e.Index, last.seq, last.index)}
		}
		nf.sessions[client] = sessionFacts{seq: seq, index: e.Index}
	}
	if e.Index >= iv.appliedBase+2*releaseEvery {
		least := e.Index
		for i := range iv.nodes {
			least = min(least, iv.nodes[i].applied)
		}
		if least >= iv.appliedBase+releaseEvery {
			iv.release(least)
		}
	}
	return nil
}

// ObserveRead is called when a node serves a linearizable read: its read
// index, the state machine's applied index, and the cluster's highest
// commit index when the read began.
func (iv *Invariants) ObserveRead(id raft.NodeID, readIndex, applied, commitAtStart raft.Index) *Violation {
	if applied < readIndex {
		return &Violation{Invariant: "read-after-apply", Node: id, Index: readIndex,
			Message: fmt.Sprintf("node %d served a read at applied index %d, below its read index %d", id, applied, readIndex)}
	}
	if applied < commitAtStart {
		return &Violation{Invariant: "read-freshness", Node: id, Index: applied,
			Message: fmt.Sprintf("node %d served a read from applied index %d, older than the commit index %d when the read began: a stale read", id, applied, commitAtStart)}
	}
	return nil
}
