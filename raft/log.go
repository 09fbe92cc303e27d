package raft

import (
	"fmt"
	"sort"

	"github.com/raftsim/raftsim/raft/bugs"
)

// raftLog is a node's in-memory copy of its log. The whole retained log is
// held in memory, so the core never reads Storage after NewNode; Storage
// is where the caller makes it durable.
//
// Indexes: entry i of entries has index first+i. The entry before the
// retained log, at first-1, is known only by its term (prevTerm): it is
// the last entry compaction (§7) discarded, or the last one a snapshot
// replaced, or the empty prefix at index 0.
type raftLog struct {
	entries  chunkedEntries
	first    Index
	prevTerm Term

	// snap is the node's latest snapshot: one it made (Compact) or one it
	// installed from a leader; nil when it has none. The log continues
	// the snapshot: entries after snap's index are all held.
	// Invariant: first-1 <= snap.Meta.Index <= committed.
	snap *Snapshot
	// snapUnstable is set while snap is still to be written to Storage:
	// the next Ready carries it.
	snapUnstable bool
	// snapInstalled is set while a snapshot installed from the leader is
	// still to be written: the answer that vouches for it waits for its
	// sync.
	snapInstalled bool
	// snapRestore is set while the state machine is still to be restored
	// from snap: after an install, or a restart with Config.Applied below
	// the stored snapshot. The next Ready carries it for step 3.
	// Invariant: snapRestore iff applied < snap.Meta.Index.
	snapRestore bool
	// compact is the index up to which Storage may discard entries, still
	// to be handed out in a Ready (Ready.Compact); 0 when none.
	compact Index

	// committed is the highest index known to be committed.
	// Invariant: committed <= lastIndex().
	committed Index
	// applied is the highest index handed to the caller for applying and
	// acknowledged by Advance (or restored from a snapshot).
	// Invariant: applied <= committed; first-1 <= applied unless
	// snapRestore: compaction never passes what was applied.
	applied Index
	// applyFloor is the state machine's applied index when a restart
	// found it past the stored log, which lost entries to corruption
	// (repair.go): the entries up to it, fetched again from the leader,
	// are committed and applied already, and are not handed out again.
	// Invariant: applyFloor == 0 or applyFloor > applied.
	applyFloor Index
	// stable is the highest index known to be in Storage, written and
	// synced by the caller. Entries after it are in the next Ready.
	// Invariant: first-1 <= stable <= lastIndex().
	stable Index
	// verified is the last index the invariants build has checked the log
	// up to (see assert_on.go); truncation moves it back.
	verified Index
	// cut is the lowest index a truncation dropped since the node last
	// took it (takeCut), 0 if none: acknowledgements queued before the
	// truncation may vouch for entries from there on that the log no
	// longer holds.
	cut Index
}

// newRaftLog builds the log from what Storage holds, which is durable:
// its snapshot, if any, and the entries that follow it. Entries the
// storage still keeps below the snapshot's index (Compact leaves some for
// lagging followers) are not loaded: the snapshot covers them.
func newRaftLog(s Storage) (*raftLog, error) {
	snap, err := s.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("raft: reading snapshot: %w", err)
	}
	first, err := s.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: reading first index: %w", err)
	}
	last, err := s.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("raft: reading last index: %w", err)
	}
	if first == 0 {
		return nil, fmt.Errorf("raft: storage reports first index 0 (the first entry has index 1)")
	}
	if last+1 < first {
		return nil, fmt.Errorf("raft: storage reports last index %d before first index %d", last, first)
	}
	base := snap.Meta.Index
	if err := checkStoredSnapshot(s, snap, first, last); err != nil {
		return nil, err
	}
	l := &raftLog{first: base + 1, prevTerm: snap.Meta.Term, stable: max(last, base)}
	if !snap.IsEmpty() {
		l.snap = &snap
	}
	if lo := max(first, base+1); last >= lo {
		ents, err := s.Entries(lo, last+1)
		if err != nil {
			return nil, fmt.Errorf("raft: reading entries [%d, %d]: %w", lo, last, err)
		}
		if err := checkStoredEntries(ents, lo, last); err != nil {
			return nil, err
		}
		if len(ents) > 0 && ents[0].Term < l.prevTerm {
			return nil, fmt.Errorf("raft: storage entry %d has term %d below its snapshot's term %d", lo, ents[0].Term, l.prevTerm)
		}
		l.entries.append(ents)
	}
	l.applied = base
	l.committed = base
	l.verified = base
	return l, nil
}

// restoreApplied sets the commit and applied indexes of a restarted node:
// the stored commit index, and what the state machine holds (applied,
// Config.Applied). The state machine may be ahead of the stored commit
// index (commit-only hard state changes need no sync): whatever it applied
// was committed. It may be behind the stored snapshot, after a crash
// between storing an installed snapshot and restoring the state machine
// from it, or when the state machine keeps nothing across restarts: then
// the first Ready hands it the snapshot again.
//
// On a fenced node (repair.go) the storage lost entries to corruption, and
// the log it kept may hold, after the last entry it can vouch for, entries
// the lost part had overwritten: neither its commit index nor the state
// machine's applied index says anything of them. Nothing past the snapshot
// counts as committed; the node learns the commit index from its leader
// again, and applyFloor keeps what the state machine applied (which may
// be past the log) from being applied twice.
func (l *raftLog) restoreApplied(commit, applied Index, fenced bool) error {
	if applied > 0 && bugs.Fire(bugs.AppliedNotRestored) {
		applied = 0
	}
	if fenced {
		if base := l.snapIndex(); applied > base {
			l.applyFloor, applied = applied, base
		}
		l.applied = applied
		l.snapRestore = applied < l.snapIndex()
		return nil
	}
	if applied > l.lastIndex() {
		return fmt.Errorf("raft: Applied %d is past the stored log's last index %d", applied, l.lastIndex())
	}
	l.committed = max(l.committed, commit, applied)
	l.applied = applied
	l.snapRestore = applied < l.snapIndex()
	return nil
}

// checkStoredSnapshot checks that the stored log continues the stored
// snapshot: no gap between them, and the entry at the snapshot's index,
// when still held, is the one the snapshot replaced.
func checkStoredSnapshot(s Storage, snap Snapshot, first, last Index) error {
	if snap.IsEmpty() {
		// An empty log starts at index 1 after the implicit entry 0 of
		// term 0; a log that starts later needs a snapshot to say what
		// came before.
		if first != 1 {
			return fmt.Errorf("raft: storage log starts at index %d but it holds no snapshot: entries 1..%d are lost", first, first-1)
		}
		return nil
	}
	base := snap.Meta.Index
	if snap.Meta.Term == 0 {
		return fmt.Errorf("raft: stored snapshot at index %d has term 0", base)
	}
	if first > base+1 {
		return fmt.Errorf("raft: storage log starts at index %d, after its snapshot at index %d: entries %d..%d are lost", first, base, base+1, first-1)
	}
	if first <= base && last >= base {
		e, err := s.Entries(base, base+1)
		if err != nil {
			return fmt.Errorf("raft: reading entry %d: %w", base, err)
		}
		if len(e) != 1 || e[0].Term != snap.Meta.Term {
			return fmt.Errorf("raft: storage holds entry %d of another term than its snapshot's %d", base, snap.Meta.Term)
		}
	}
	return nil
}

// checkStoredEntries checks that ents are [lo, last] in order with terms
// that never decrease.
func checkStoredEntries(ents []Entry, lo, last Index) error {
	if len(ents) != int(last-lo+1) {
		return fmt.Errorf("raft: storage returned %d entries for [%d, %d]", len(ents), lo, last)
	}
	for i := range ents {
		if ents[i].Index != lo+Index(i) {
			return fmt.Errorf("raft: storage entry %d has index %d, want %d", i, ents[i].Index, lo+Index(i))
		}
		if i > 0 && ents[i].Term < ents[i-1].Term {
			return fmt.Errorf("raft: storage entry %d has term %d below its predecessor's %d", ents[i].Index, ents[i].Term, ents[i-1].Term)
		}
	}
	return nil
}

// snapIndex is the index of the node's latest snapshot, or 0.
func (l *raftLog) snapIndex() Index {
	if l.snap == nil {
		return 0
	}
	return l.snap.Meta.Index
}

func (l *raftLog) lastIndex() Index { return l.first + Index(l.entries.len()) - 1 }

func (l *raftLog) lastTerm() Term {
	if l.entries.len() == 0 {
		return l.prevTerm
	}
	return l.entries.at(l.entries.len() - 1).Term
}

// term returns the term of the entry at i, and false when i is outside
// [first-1, lastIndex].
func (l *raftLog) term(i Index) (Term, bool) {
	if i+1 == l.first {
		return l.prevTerm, true
	}
	if i < l.first || i > l.lastIndex() {
		return 0, false
	}
	return l.entries.at(int(i - l.first)).Term, true
}

func (l *raftLog) matchTerm(i Index, t Term) bool {
	lt, ok := l.term(i)
	return ok && lt == t
}

// isUpToDate reports whether a log ending at (lastTerm, lastIndex) is at
// least as up to date as this one (§5.4.1).
func (l *raftLog) isUpToDate(lastIndex Index, lastTerm Term) bool {
	myTerm := l.lastTerm()
	return lastTerm > myTerm || (lastTerm == myTerm && lastIndex >= l.lastIndex())
}

// slice returns entries [lo, hi) without copying, or a non-empty prefix
// of them when they cross a storage chunk (see chunks.go). Callers must
// not modify them; truncation never writes into a slice handed out, so
// messages in flight keep their contents.
func (l *raftLog) slice(lo, hi Index) []Entry {
	if lo < l.first || hi > l.lastIndex()+1 || lo > hi {
		panic(fmt.Sprintf("raft: slice [%d, %d) outside log [%d, %d]", lo, hi, l.first, l.lastIndex()))
	}
	return l.entries.span(int(lo-l.first), int(hi-l.first))
}

// copyRange returns a copy of entries [lo, hi).
func (l *raftLog) copyRange(lo, hi Index) []Entry {
	if lo < l.first || hi > l.lastIndex()+1 || lo > hi {
		panic(fmt.Sprintf("raft: copy [%d, %d) outside log [%d, %d]", lo, hi, l.first, l.lastIndex()))
	}
	return l.entries.copyRange(int(lo-l.first), int(hi-l.first))
}

// append adds entries that follow the last one. It is the leader's path.
func (l *raftLog) append(ents ...Entry) {
	if len(ents) == 0 {
		return
	}
	if ents[0].Index != l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: append at index %d, log ends at %d", ents[0].Index, l.lastIndex()))
	}
	l.entries.append(ents)
}

// truncateAndAppend replaces the suffix starting at ents[0].Index.
func (l *raftLog) truncateAndAppend(ents []Entry) {
	at := ents[0].Index
	if at <= l.committed {
		panic(fmt.Sprintf("raft: truncating committed entry %d (committed %d)", at, l.committed))
	}
	if at < l.first || at > l.lastIndex()+1 {
		panic(fmt.Sprintf("raft: truncate at %d outside log [%d, %d]", at, l.first, l.lastIndex()))
	}
	// Slices of the old tail that are still referenced (messages in
	// flight, an unacknowledged Ready) are never overwritten.
	l.entries.truncate(int(at - l.first))
	l.entries.append(ents)
	if l.cut == 0 || at < l.cut {
		l.cut = at
	}
	if l.stable >= at {
		l.stable = at - 1
	}
	l.verified = min(l.verified, at-1)
}

// takeCut returns the lowest index truncated since the last call, or 0.
func (l *raftLog) takeCut() Index {
	c := l.cut
	l.cut = 0
	return c
}

// maybeAppend handles the entries of an AppendEntries RPC (§5.3). It
// returns the index of the last entry the RPC vouches for and true, or
// false if the log does not contain (prevIndex, prevTerm). An RPC that
// contradicts a committed entry can only come from a broken peer; it is
// refused with errConflictsWithCommitted and changes nothing.
func (l *raftLog) maybeAppend(prevIndex Index, prevTerm Term, leaderCommit Index, ents []Entry) (Index, bool, error) {
	if !l.matchTerm(prevIndex, prevTerm) {
		return 0, false, nil
	}
	lastNew := prevIndex + Index(len(ents))
	// Skip the entries already present: a delayed or duplicated MsgApp must
	// not truncate anything that agrees with it (§5.3, step 3 only on a
	// conflict).
	conflict := len(ents)
	for i := range ents {
		t, ok := l.term(ents[i].Index)
		if !ok || t != ents[i].Term {
			conflict = i
			break
		}
	}
	if conflict < len(ents) && ents[conflict].Index <= l.committed {
		return 0, false, fmt.Errorf("%w: entry %d of term %d conflicts with committed entry (commit %d)", errConflictsWithCommitted, ents[conflict].Index, ents[conflict].Term, l.committed)
	}
	if conflict < len(ents) {
		if ents[conflict].Index <= l.lastIndex() {
			l.truncateAndAppend(ents[conflict:])
		} else {
			l.append(ents[conflict:]...)
		}
	}
	if lastNew < l.lastIndex() && lastNew >= l.committed && bugs.Fire(bugs.TruncateOnStaleAppend) {
		l.entries.truncate(int(lastNew - l.first + 1))
		l.stable = min(l.stable, lastNew)
		l.verified = min(l.verified, lastNew)
	}
	// §5.3 step 5: commit up to leaderCommit, but never past the last entry
	// this RPC vouches for: later entries may be stale leftovers.
	bound := lastNew
	if leaderCommit > lastNew && l.lastIndex() > lastNew && bugs.Fire(bugs.CommitPastLastNewEntry) {
		bound = l.lastIndex()
	}
	l.commitTo(min(leaderCommit, bound))
	return lastNew, true, nil
}

// findConflictByTerm returns the largest index j <= i whose term is at most
// t, with its term. Used on both sides of fast backtracking: a follower
// names the last index that could match the leader's (prevIndex,
// prevTerm); the leader skips to the last index of that term in its own
// log. Each round trip thereby skips at least one whole term.
func (l *raftLog) findConflictByTerm(i Index, t Term) (Index, Term) {
	if last := l.lastIndex(); i > last {
		i = last
	}
	if i+1 < l.first {
		// Below the log: the term is compacted away.
		return i, 0
	}
	for ; i >= l.first; i-- {
		if et := l.entries.at(int(i - l.first)).Term; et <= t {
			return i, et
		}
	}
	if l.prevTerm <= t || l.first == 1 {
		return l.first - 1, l.prevTerm
	}
	// The answer lies in the compacted prefix, whose terms are gone: name
	// the index before first-1, of unknown term (0). A leader then knows
	// to send its snapshot.
	return l.first - 2, 0
}

// commitTo raises the commit index; it never lowers it.
func (l *raftLog) commitTo(i Index) {
	if i <= l.committed {
		return
	}
	if i > l.lastIndex() {
		panic(fmt.Sprintf("raft: commit index %d past last index %d", i, l.lastIndex()))
	}
	l.committed = i
}

// appliable is the highest index that may be applied once the log is
// durable up to durable: committed, and durable on this node, so that the
// state machine (durable as soon as it applies) is never ahead of the log
// a crash leaves. Ready passes the index its own Entries end at, since the
// caller syncs them before applying (the contract in doc.go).
func (l *raftLog) appliable(durable Index) Index { return min(l.committed, durable) }

func (l *raftLog) hasUnstable() bool { return l.stable < l.lastIndex() }

// unstable returns every entry not yet known to be durable, all of them:
// a Ready's messages may vouch for any of them (an acknowledgement up to
// the last) and its committed entries may reach the last, so its step 1
// must write them all. Where they cross a chunk boundary, they are copied
// into one slice (once per chunk of the log, so rarely).
func (l *raftLog) unstable() []Entry {
	lo, hi := l.stable+1, l.lastIndex()+1
	if s := l.slice(lo, hi); Index(len(s)) == hi-lo {
		return s
	}
	return l.copyRange(lo, hi)
}

// stableTo records that ents, written by the caller, are durable. A
// truncation since they were handed out shows as a term mismatch: then
// only the prefix of ents the log still holds is known durable (by Log
// Matching, the entries that still match form a prefix), and the next
// Ready writes the replacement entries.
func (l *raftLog) stableTo(ents []Entry) {
	k := sort.Search(len(ents), func(k int) bool { return !l.matchTerm(ents[k].Index, ents[k].Term) })
	if k > 0 && ents[k-1].Index > l.stable {
		l.stable = ents[k-1].Index
	}
}

func (l *raftLog) appliedTo(i Index) {
	if i < l.applied || i > l.committed {
		panic(fmt.Sprintf("raft: applied index %d outside [%d, %d]", i, l.applied, l.committed))
	}
	l.applied = i
}
