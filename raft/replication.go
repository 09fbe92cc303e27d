package raft

import (
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/raft/bugs"
)

// appendEntry adds an entry of the current term to the leader's log. The
// MsgApps that carry it are built at the next flush, so that proposals
// made between two Readies share messages.
func (n *Node) appendEntry(e Entry) {
	if n.role != RoleLeader {
		panic(fmt.Sprintf("raft: node %d appending as %s", n.id, n.role))
	}
	n.log.append(e)
	if e.Type == EntryConfig {
		// The configuration takes effect now, on the leader first (§6).
		n.confs.entries = append(n.confs.entries, confEntry{index: e.Index, term: e.Term, cs: decodeConfEntry(&e)})
		n.refreshConfig()
	}
	if n.self >= 0 {
		// A leader that removed itself manages a cluster it is no member
		// of: it no longer counts its own log (§4.2.2 of the thesis).
		n.prs[n.self].match = e.Index
		n.prs[n.self].next = e.Index + 1
	}
	n.needFlush = true
	// A single voter commits on its own.
	n.maybeCommit()
}

// flush sends what queued work calls for: appends to every follower that
// can take them, and heartbeats for reads waiting on a quorum round.
func (n *Node) flush() {
	if !n.needFlush {
		return
	}
	n.needFlush = false
	if n.role != RoleLeader {
		return
	}
	for i := range n.prs {
		if i != n.self {
			n.maybeSendAppend(&n.prs[i])
		}
	}
	n.flushReads()
}

// maybeSendAppend sends pr the entries it lacks, or an empty MsgApp when
// it lacks only the newest commit index. It reports whether it sent.
func (n *Node) maybeSendAppend(pr *progress) bool {
	if pr.state == snapshotState {
		pr.resend = false
		return n.sendSnapshotChunks(pr)
	}
	last := n.log.lastIndex()
	if pr.paused() {
		return false
	}
	hasEntries := pr.next <= last
	if !hasEntries && pr.sentCommit >= n.log.committed && !pr.resend {
		return false
	}
	pr.resend = false
	prev := pr.next - 1
	prevTerm, ok := n.log.term(prev)
	if ok && prevTerm != n.term && prev < last && bugs.Fire(bugs.PrevTermFromCurrentTerm) {
		// The previous entry's term filled in with the leader's own.
		prevTerm = n.term
	}
	if !ok {
		if prev+1 < n.log.first {
			// The follower needs entries compacted away: send the
			// snapshot instead (§7).
			pr.becomeSnapshot(n.log.snap)
			return n.sendSnapshotChunks(pr)
		}
		panic(fmt.Sprintf("raft: node %d: no term for index %d to send to %d (log [%d, %d])", n.id, prev, pr.id, n.log.first, last))
	}
	var ents []Entry
	if hasEntries {
		hi := min(last, prev+Index(n.cfg.MaxEntriesPerMsg))
		ents = n.log.slice(pr.next, hi+1)
		ents = limitBytes(ents, n.cfg.MaxBytesPerMsg)
	}
	n.send(Message{Type: MsgApp, To: pr.id, Term: n.term, Index: prev, LogTerm: prevTerm, Entries: ents, Commit: n.log.committed})
	pr.sentCommit = n.log.committed
	pr.sentEntries(prev+Index(len(ents)), len(ents))
	return true
}

// limitBytes keeps the longest prefix of ents within maxBytes, and always
// at least one entry.
func limitBytes(ents []Entry, maxBytes uint64) []Entry {
	var size uint64
	for i := range ents {
		size += ents[i].size()
		if size > maxBytes && i > 0 {
			return ents[:i]
		}
	}
	return ents
}

func (n *Node) broadcastHeartbeat() {
	n.round++
	n.roundTicks[n.round%roundHistory] = n.ticks
	for i := range n.prs {
		if i == n.self {
			continue
		}
		pr := &n.prs[i]
		// A follower may lack entries up to our commit index; telling it
		// to commit them would break its invariant commit <= last.
		commit := min(pr.match, n.log.committed)
		if commit < n.log.committed && bugs.Fire(bugs.HeartbeatCommitUncapped) {
			commit = n.log.committed
		}
		n.send(Message{Type: MsgHeartbeat, To: pr.id, Term: n.term, Commit: commit, Context: n.round})
	}
}

func (n *Node) stepLeader(m Message) {
	i := n.memberIndex(m.From)
	if i < 0 {
		return // a node no longer (or not yet) in the configuration
	}
	pr := &n.prs[i]
	switch m.Type {
	case MsgAppResp:
		pr.recentActive = true
		if m.Reject {
			n.handleAppendReject(pr, m)
			return
		}
		if pr.maybeUpdate(m.Index) {
			switch {
			case pr.state == probeState:
				pr.becomeReplicate()
			case pr.state == snapshotState && (pr.match+1 >= n.log.first || pr.match >= pr.snap.snap.Meta.Index):
				// The follower installed the snapshot, or caught up some
				// other way: entries again (or a newer snapshot, if the
				// log moved on meanwhile).
				pr.becomeProbe()
			}
			n.maybeCommit()
		}
		if pr.id == n.transferee {
			n.maybeSendTimeoutNow(pr)
		}
		n.needFlush = true
	case MsgSnapResp:
		pr.recentActive = true
		n.handleSnapshotResp(pr, m)
	case MsgHeartbeatResp:
		pr.recentActive = true
		// The follower is alive: a probe may be retried.
		pr.probeSent = false
		if pr.match < n.log.lastIndex() {
			// It still lacks entries. If MsgApps or their answers were
			// lost, no acknowledgement will ever free the window: free a
			// slot and send again, even an empty MsgApp, so that the
			// follower either acknowledges or rejects (a gap) and the
			// leader backs off to probing. Without this, replication to it
			// stops for good.
			if pr.state == replicateState && pr.inflight.full() {
				pr.inflight.freeFirst()
			}
			pr.resend = true
			n.needFlush = true
		} else if pr.sentCommit < n.log.committed {
			n.needFlush = true
		}
		if m.Context > pr.ackedRound && m.Context <= n.round {
			pr.ackedRound = m.Context
			n.advanceReads()
		}
		if pr.state == snapshotState {
			n.probeSnapshot(pr, m.Context)
		}
	}
}

// handleAppendReject moves nextIndex back after a follower found no match
// at m.Index, by whole terms when the follower named its conflicting term.
func (n *Node) handleAppendReject(pr *progress, m Message) {
	if m.Context == contextRepair && m.RejectHint < pr.match && pr.state != snapshotState {
		n.forgetMatch(pr, m.RejectHint)
		return
	}
	switch pr.state {
	case snapshotState:
		return // answers a MsgApp sent before the transfer began
	case replicateState:
		if m.Index <= pr.match {
			return // stale: we know it matches further
		}
	case probeState:
		if m.Index != pr.next-1 {
			return // answers an older probe
		}
	}
	next := m.RejectHint
	if m.LogTerm > 0 {
		// The follower's entry at RejectHint has term LogTerm, and nothing
		// after it can match. Our last entry of a term <= LogTerm at or
		// below RejectHint is the next candidate.
		next, _ = n.log.findConflictByTerm(m.RejectHint, m.LogTerm)
	}
	pr.becomeProbe()
	pr.next = max(min(m.Index, next+1), pr.match+1)
	n.needFlush = true
	if keep := max(n.log.committed, m.RejectHint); keep < n.log.lastIndex() && bugs.Fire(bugs.LeaderTruncatesOnReject) {
		n.truncateOwnLog(keep)
	}
}

// truncateOwnLog is the planted bug LeaderTruncatesOnReject: the leader
// takes the follower's shorter log for the truth and drops its own
// entries after keep.
func (n *Node) truncateOwnLog(keep Index) {
	l := n.log
	l.entries.truncate(int(keep - l.first + 1))
	l.stable, l.verified = min(l.stable, keep), min(l.verified, keep)
	for i := range n.prs {
		pr := &n.prs[i]
		pr.match, pr.next = min(pr.match, keep), min(pr.next, keep+1)
		pr.becomeProbe()
		pr.next = max(min(pr.next, keep+1), pr.match+1)
	}
	n.prs[n.self].match, n.prs[n.self].next = keep, keep+1
}

// maybeCommit advances the commit index to the highest index replicated on
// a quorum, but only to an entry of the current term: counting replicas
// of an older term's entry does not make it committed (§5.4.2, Figure 8).
func (n *Node) maybeCommit() bool {
	idx := n.quorumMatch()
	if idx <= n.log.committed {
		return false
	}
	if t, _ := n.log.term(idx); t != n.term && !bugs.Fire(bugs.FigureEightCommit) {
		return false
	}
	n.log.commitTo(idx)
	n.needFlush = true
	n.onCommit()
	return true
}

func (n *Node) handleAppend(m Message) error {
	if m.Index < n.log.committed {
		// Everything up to our commit index matches any leader's log; tell
		// the leader how far we know we match.
		n.send(Message{Type: MsgAppResp, To: m.From, Term: n.term, Index: n.log.committed})
		return nil
	}
	last, ok, err := n.log.maybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries)
	if err != nil {
		return err
	}
	if ok {
		if cut := n.log.takeCut(); cut != 0 {
			n.retractAcks(cut)
		}
		n.noteAppended(m.Entries)
		n.noteRepairMatch(m.Term, last)
		n.liftFence()
		n.send(Message{Type: MsgAppResp, To: m.From, Term: n.term, Index: last})
		return nil
	}
	// No match at m.Index. Name the last index at or below it whose term
	// is at most the leader's LogTerm: entries after it cannot match, so
	// the leader can skip the rest of the conflicting term in one step.
	hint, hintTerm := n.log.findConflictByTerm(min(m.Index, n.log.lastIndex()), m.LogTerm)
	n.send(Message{Type: MsgAppResp, To: m.From, Term: n.term, Index: m.Index, Reject: true, RejectHint: hint, LogTerm: hintTerm, Context: n.rejectContext()})
	return nil
}

// retractAcks drops the acknowledgements still queued in this Ready that
// vouch for entries from index from on, which a truncation has just
// replaced. A node handling a backlog in one Ready can append an old
// leader's entries, queue their acknowledgement, then let a newer leader
// cut them; the Ready stores only the newer log, so the old
// acknowledgement would leave vouching for entries the node never made
// durable, and could complete the old leader's quorum. Dropping it is
// safe: Raft tolerates lost messages, and the old leader probes again.
func (n *Node) retractAcks(from Index) {
	n.msgs = slices.DeleteFunc(n.msgs, func(m Message) bool {
		return m.Type == MsgAppResp && !m.Reject && m.Index >= from
	})
}

func (n *Node) handleHeartbeat(m Message) {
	// The leader caps Commit at what it knows we hold; the cap at our own
	// last index guards against a capped value raced by a truncation, and
	// the one of a fenced node against a leader that still counts what it
	// held before it lost entries (commitCap).
	n.log.commitTo(min(m.Commit, n.commitCap(m.Term)))
	if m.Commit < n.log.committed && !n.readyOut && bugs.Fire(bugs.HeartbeatLowersCommit) {
		// The commit index taken as given, even when it is lower.
		n.log.committed = m.Commit
	}
	n.send(Message{Type: MsgHeartbeatResp, To: m.From, Term: n.term, Context: m.Context})
}
