package raft

import (
	"fmt"
	"slices"

	"github.com/raftsim/raftsim/raft/bugs"
)

// Membership (§6). A node runs with the latest configuration in its log,
// committed or not (§4.1 of the thesis): a configuration entry takes
// effect on every node the moment it is appended, and when a conflicting
// leader truncates it away, the node falls back to the configuration
// before it. The configuration before the log's first entry is the
// snapshot's (§7), or for a log that starts at index 1, Config.Voters.
//
// The node keeps the configuration entries of its log in confs, so that
// truncation, compaction and Compact's snapshot find the configuration at
// any index without reading the log.

// confEntry is a configuration entry of the log.
type confEntry struct {
	index Index
	term  Term
	cs    ConfState
}

// confLog is a node's configuration history: the configuration before
// the log (base) and the configuration entries after it.
type confLog struct {
	// base is the configuration at baseIndex: the snapshot's, or the
	// initial one (baseIndex 0).
	base      ConfState
	baseIndex Index
	// entries are the configuration entries of the log after baseIndex,
	// in index order. Invariant: each is in the log, with its term.
	entries []confEntry
}

// latest returns the configuration of the log's end and the index of the
// entry that set it (baseIndex for the base).
func (c *confLog) latest() (ConfState, Index, Term) {
	if k := len(c.entries); k > 0 {
		e := &c.entries[k-1]
		return e.cs, e.index, e.term
	}
	return c.base, c.baseIndex, 0
}

// at returns the configuration in force at index i: set by the last
// configuration entry at or before it.
func (c *confLog) at(i Index) (ConfState, Index, Term) {
	for k := len(c.entries) - 1; k >= 0; k-- {
		if e := &c.entries[k]; e.index <= i {
			return e.cs, e.index, e.term
		}
	}
	return c.base, c.baseIndex, 0
}

// rebase makes cs, the configuration at index i, the base: the entries up
// to i are covered by a snapshot now.
func (c *confLog) rebase(i Index, cs ConfState) {
	k := 0
	for k < len(c.entries) && c.entries[k].index <= i {
		k++
	}
	c.entries = append(c.entries[:0], c.entries[k:]...)
	c.base, c.baseIndex = cs, i
}

// decodeConfEntry decodes a configuration entry. Step refuses a MsgApp
// carrying one that does not decode, so a failure here is a broken
// invariant.
func decodeConfEntry(e *Entry) ConfState {
	cs, err := DecodeConfState(e.Data)
	if err != nil {
		panic(fmt.Sprintf("raft: configuration entry %d of term %d: %v", e.Index, e.Term, err))
	}
	return cs
}

// loadConfs rebuilds the configuration history of a restarted node from
// its log, after the base NewNode set.
func (n *Node) loadConfs() error {
	l := n.log
	for i := max(l.first, n.confs.baseIndex+1); i <= l.lastIndex(); i++ {
		e := l.entries.at(int(i - l.first))
		if e.Type != EntryConfig {
			continue
		}
		cs, err := DecodeConfState(e.Data)
		if err != nil {
			return fmt.Errorf("raft: stored configuration entry %d: %w", e.Index, err)
		}
		n.confs.entries = append(n.confs.entries, confEntry{index: e.Index, term: e.Term, cs: cs})
	}
	return nil
}

// noteAppended brings the configuration history in line with the log
// after a follower's append, which may have truncated a conflicting
// suffix (dropping the configuration entries in it) and added entries
// (some of them configurations), and puts the latest configuration in
// force.
func (n *Node) noteAppended(ents []Entry) {
	changed := false
	for k := len(n.confs.entries); k > 0; k-- {
		// Log Matching: once the last entry still matches, all earlier do.
		if e := &n.confs.entries[k-1]; n.log.matchTerm(e.index, e.term) {
			break
		}
		n.confs.entries = n.confs.entries[:k-1]
		changed = true
	}
	for i := range ents {
		e := &ents[i]
		if e.Type != EntryConfig {
			continue
		}
		_, last, _ := n.confs.latest()
		if e.Index <= last || !n.log.matchTerm(e.Index, e.Term) {
			continue // known already (a duplicate message), or not appended
		}
		n.confs.entries = append(n.confs.entries, confEntry{index: e.Index, term: e.Term, cs: decodeConfEntry(e)})
		changed = true
	}
	if changed {
		n.refreshConfig()
	}
}

// refreshConfig puts the configuration the node must run with in force:
// the latest in its log.
func (n *Node) refreshConfig() {
	cs, idx, term := n.confs.latest()
	if bugs.On(bugs.ApplyConfOnCommit) {
		// The bug: a configuration takes effect when committed.
		if c, ci, ct := n.confs.at(n.log.committed); ci != idx && bugs.Fire(bugs.ApplyConfOnCommit) {
			cs, idx, term = c, ci, ct
		}
	}
	if idx == n.confIndex && term == n.confTerm && n.prs != nil {
		return
	}
	n.confIndex, n.confTerm = idx, term
	n.applyConf(cs)
}

// applyConf makes cs the configuration: the leader's progress is kept for
// the members that stay, and starts afresh, probing, for new ones. Until
// the change commits, a leader also keeps replicating, without counting
// them, to the members it removes: so a removed node normally learns of
// its removal and goes quiet instead of standing for election again and
// again (§4.2.3 of the thesis; PreVote and CheckQuorum cover the one that
// does not learn of it).
func (n *Node) applyConf(cs ConfState) {
	members := cs.Members()
	n.leaving = 0
	if n.role == RoleLeader && n.confIndex > n.log.committed {
		prev, _, _ := n.confs.at(n.confIndex - 1)
		for _, id := range prev.Members() {
			if !slices.Contains(members, id) {
				members = append(members, id)
				n.leaving++
			}
		}
		slices.Sort(members)
	}
	prs := make([]progress, len(members))
	votes := make([]int8, len(members))
	n.self = -1
	for i, id := range members {
		if j := n.memberIndex(id); j >= 0 {
			prs[i] = n.prs[j]
			votes[i] = n.votes[j]
		} else {
			// A new member: probe from the end of the log; it answers
			// with where its log really ends. Counted active, so that
			// CheckQuorum gives it a round to show up.
			prs[i] = progress{id: id, match: 0, next: n.log.lastIndex() + 1, state: probeState,
				inflight: newInflights(n.cfg.MaxInflightMsgs), recentActive: true}
		}
		prs[i].role = cs.role(id)
		if id == n.id {
			n.self = i
		}
	}
	n.conf, n.prs, n.votes = cs, prs, votes
	n.nIn, n.nOut = len(cs.Voters), len(cs.VotersOutgoing)
	if n.role != RoleLeader {
		return
	}
	if n.transferee != None && !n.conf.IsVoter(n.transferee) {
		n.transferee = None
	}
	n.needFlush = true
	// A smaller quorum may commit at once.
	n.maybeCommit()
}

// memberIndex returns the position of id in prs, or -1.
func (n *Node) memberIndex(id NodeID) int {
	for i := range n.prs {
		if n.prs[i].id == id {
			return i
		}
	}
	return -1
}

// promotable reports whether this node votes in its own configuration, so
// that it may stand for election. Learners, removed nodes and nodes not
// yet added never do.
func (n *Node) promotable() bool { return n.self >= 0 && n.prs[n.self].role&roleVoter != 0 }

// majority is the size of a quorum of n voters.
func majority(n int) int { return n/2 + 1 }

// quorumMatch is the highest index a quorum of the configuration holds:
// in a joint configuration, the lower of the two halves' (§6).
func (n *Node) quorumMatch() Index {
	idx := n.halfMatch(roleIncoming, n.nIn)
	if n.nOut > 0 {
		idx = min(idx, n.halfMatch(roleOutgoing, n.nOut))
	}
	return idx
}

// halfMatch is the highest index a majority of the voters with role r
// (size of them) hold.
func (n *Node) halfMatch(r memberRole, size int) Index {
	var buf [maxMembers]Index
	matches := buf[:0]
	for i := range n.prs {
		if n.prs[i].role&r != 0 {
			matches = append(matches, n.prs[i].match)
		}
	}
	// Insertion sort, descending: clusters are small and this runs on
	// every acknowledgement.
	for i := 1; i < len(matches); i++ {
		for j := i; j > 0 && matches[j] > matches[j-1]; j-- {
			matches[j], matches[j-1] = matches[j-1], matches[j]
		}
	}
	return matches[majority(size)-1]
}

// quorumRound is the newest heartbeat round a quorum has answered (the
// leader counts as answering its own latest round).
func (n *Node) quorumRound() uint64 {
	r := n.halfRound(roleIncoming, n.nIn)
	if n.nOut > 0 {
		r = min(r, n.halfRound(roleOutgoing, n.nOut))
	}
	return r
}

func (n *Node) halfRound(r memberRole, size int) uint64 {
	var buf [maxMembers]uint64
	rounds := buf[:0]
	for i := range n.prs {
		if n.prs[i].role&r == 0 {
			continue
		}
		if i == n.self {
			rounds = append(rounds, n.round)
		} else {
			rounds = append(rounds, n.prs[i].ackedRound)
		}
	}
	for i := 1; i < len(rounds); i++ {
		for j := i; j > 0 && rounds[j] > rounds[j-1]; j-- {
			rounds[j], rounds[j-1] = rounds[j-1], rounds[j]
		}
	}
	return rounds[majority(size)-1]
}

// quorumActive reports whether a quorum heard from recently (CheckQuorum).
func (n *Node) quorumActive() bool {
	active := func(r memberRole, size int) bool {
		k := 0
		for i := range n.prs {
			if n.prs[i].role&r != 0 && (i == n.self || n.prs[i].recentActive) {
				k++
			}
		}
		return k >= majority(size)
	}
	return active(roleIncoming, n.nIn) && (n.nOut == 0 || active(roleOutgoing, n.nOut))
}

// tally counts the (pre-)votes: won when a majority of each half granted,
// lost when a majority of either refused.
func (n *Node) tally() (won, lost bool) {
	won = true
	for _, h := range [2]struct {
		r    memberRole
		size int
	}{{roleIncoming, n.nIn}, {roleOutgoing, n.nOut}} {
		if h.size == 0 {
			continue
		}
		yes, no := 0, 0
		for i := range n.prs {
			pr := &n.prs[i]
			counts := pr.role&h.r != 0
			if !counts && h.r == roleIncoming && pr.role == roleLearner && n.votes[i] == 1 && bugs.Fire(bugs.CountLearnerVote) {
				counts = true // the bug: a learner's grant counts
			}
			if !counts {
				continue
			}
			switch n.votes[i] {
			case 1:
				yes++
			case -1:
				no++
			}
		}
		q := majority(h.size)
		if yes < q {
			won = false
		}
		if no >= q {
			lost = true
		}
	}
	return won && !lost, lost
}

// Config returns the configuration the node runs with: the latest in its
// log. The caller may keep it.
func (n *Node) Config() ConfState { return n.conf.clone() }

// confState is the configuration as a snapshot at index i records it.
func (n *Node) confStateAt(i Index) ConfState {
	cs, _, _ := n.confs.at(i)
	return cs.clone()
}

// LogConfig returns the latest configuration in the node's log, committed
// or not, and the index of the entry that set it (the snapshot's index,
// or 0 for Config.Voters, when no entry of the log did). It is what the
// node must run with (Config, unless a planted bug says otherwise), for
// checkers that judge it. The lists are shared: read them, never change
// them.
func (n *Node) LogConfig() (ConfState, Index) {
	cs, idx, _ := n.confs.latest()
	return cs, idx
}

// StoredConfig returns the configuration a node restarted on s would run
// with, and the index of the entry that set it: the latest configuration
// entry of the stored log, else the stored snapshot's configuration, else
// initial (Config.Voters).
func StoredConfig(s Storage, initial []NodeID) (ConfState, Index, error) {
	snap, err := s.Snapshot()
	if err != nil {
		return ConfState{}, 0, err
	}
	first, err := s.FirstIndex()
	if err != nil {
		return ConfState{}, 0, err
	}
	last, err := s.LastIndex()
	if err != nil {
		return ConfState{}, 0, err
	}
	for hi := last; hi > snap.Meta.Index && hi >= first; {
		lo := max(first, snap.Meta.Index+1, hi-min(hi, 256)+1)
		ents, err := s.Entries(lo, hi+1)
		if err != nil {
			return ConfState{}, 0, err
		}
		for k := len(ents) - 1; k >= 0; k-- {
			if e := &ents[k]; e.Type == EntryConfig {
				cs, err := DecodeConfState(e.Data)
				return cs, e.Index, err
			}
		}
		hi = lo - 1
	}
	if !snap.IsEmpty() {
		return snap.Meta.ConfState, snap.Meta.Index, nil
	}
	v := slices.Clone(initial)
	slices.Sort(v)
	return ConfState{Voters: v}, 0, nil
}
