package checker

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/raft"
)

// Membership invariants (§6). They need each node's configuration: the
// Cluster's LogViews implement ConfigView. A node's configuration is the
// latest in its log, committed or not - what Raft says it must run with,
// whatever the node itself runs with - so a node that puts a
// configuration in force at another moment (on commit) is caught by what
// it does with the wrong one:
//
//   - election-quorum: the votes recorded in a leader's term (ObserveVote:
//     every vote a node persisted; ObserveSend: every vote granted, also
//     one a later term overtook before it was persisted) include, for each voter half of the
//     configuration in the leader's log, a majority of it. Votes of
//     learners and of nodes outside the configuration count for nothing.
//   - leader-is-voter: a leader is a voter of the configuration in its
//     log (learners never lead).
//   - removed-node-leads: no node that a committed configuration removed
//     leads again without holding that configuration (a removed node that
//     never learned of its removal).
//   - removed-leader: a leader whose removal is in its log and committed
//     there has stepped down.
//   - one-config-change: a leader's log never holds two configuration
//     entries past the highest commit index any node reported.
//   - config-quorum-overlap: any two configurations in force - the
//     latest of each log that holds the latest committed entry, which is
//     every log that could still elect a leader - have overlapping
//     quorums (a joint configuration's quorum is a majority of both
//     halves).
//   - Commit Safety (invariants.go) judges who could win an election by
//     each node's own configuration.

// ConfigView is implemented by a LogView of a cluster whose membership
// changes: Config returns the latest configuration in the node's log and
// the index of the entry that set it (0 for the initial configuration).
// The lists are read, never changed.
type ConfigView interface {
	Config() (raft.ConfState, raft.Index)
}

// CommitView is implemented by a LogView that knows the node's commit
// index as the node holds it now (0 for a crashed node). A leader may
// commit an entry and append the next configuration change before the
// Ready that reports the commit is handled: the overlap check must know
// that commit, or it counts as in force a configuration the committed
// entry has already put out of force.
type CommitView interface {
	Committed() raft.Index
}

// voteWindow is how many recent terms' votes are kept: a leader is
// elected within a term or two of the votes for it.
const voteWindow = 256

// voteSlot holds the votes of one term, by node position; None where the
// node voted for no one (as far as the checker saw).
type voteSlot struct {
	term  raft.Term
	votes []raft.NodeID
}

// membershipFacts is what the membership checks remember.
type membershipFacts struct {
	votes [voteWindow]voteSlot
	// maxCommit is the highest commit index any node reported, with the
	// term of its entry there.
	maxCommit commitMark
	// confCommitted is the latest configuration entry any node applied,
	// and its configuration.
	confCommitted     commitMark
	confCommittedConf raft.ConfState
	// overlapOK caches pairs of configurations whose quorums overlap.
	overlapOK map[[2]string]bool
}

// ObserveVote is called when node id persists hs: a vote in hs.Term.
func (iv *Invariants) ObserveVote(id raft.NodeID, hs raft.HardState) {
	if hs.Vote == raft.None || hs.Term == 0 {
		return
	}
	s := &iv.mem.votes[hs.Term%voteWindow]
	switch {
	case s.term > hs.Term:
		return // older than the window
	case s.term < hs.Term:
		s.term = hs.Term
		if s.votes == nil {
			s.votes = make([]raft.NodeID, len(iv.ids))
		}
		clear(s.votes)
	}
	s.votes[iv.pos(id)] = hs.Vote
}

// pos returns the position of id in ids.
func (iv *Invariants) pos(id raft.NodeID) int {
	for i, x := range iv.ids {
		if x == id {
			return i
		}
	}
	panic(fmt.Sprintf("checker: node %d is not in the cluster %v", id, iv.ids))
}

// configOf returns node id's configuration and whether the cluster
// reports configurations at all.
func (iv *Invariants) configOf(id raft.NodeID) (raft.ConfState, raft.Index, bool) {
	if iv.cluster == nil {
		return raft.ConfState{}, 0, false
	}
	cv, ok := iv.cluster(id).(ConfigView)
	if !ok {
		return raft.ConfState{}, 0, false
	}
	cs, idx := cv.Config()
	return cs, idx, true
}

// votedFor reports whether id voted for leader in term (a leader voted
// for itself).
func (iv *Invariants) votedFor(id, leader raft.NodeID, term raft.Term) bool {
	if id == leader {
		return true
	}
	s := &iv.mem.votes[term%voteWindow]
	if s.term != term {
		return false
	}
	for i, x := range iv.ids {
		if x == id {
			return s.votes[i] == leader
		}
	}
	return false
}

// checkNewLeader runs the membership checks on node id, just elected in
// term.
func (iv *Invariants) checkNewLeader(id raft.NodeID, term raft.Term, v NodeView) *Violation {
	cs, _, ok := iv.configOf(id)
	if !ok {
		return nil
	}
	if c := iv.mem.confCommitted; c.index > 0 && !iv.mem.confCommittedConf.IsVoter(id) {
		if t, held := v.Term(c.index); !held && c.index+1 >= v.Status().FirstIndex || held && t != c.term {
			return &Violation{Invariant: "removed-node-leads", Node: id, Term: term, Index: c.index,
				Message: fmt.Sprintf("node %d leads term %d, but the configuration committed at index %d (%v) removed it, and its log does not hold that entry", id, term, c.index, iv.mem.confCommittedConf)}
		}
	}
	if !cs.IsVoter(id) {
		return &Violation{Invariant: "leader-is-voter", Node: id, Term: term,
			Message: fmt.Sprintf("node %d leads term %d, but is no voter of the configuration in its log (%v)", id, term, cs)}
	}
	for _, half := range [][]raft.NodeID{cs.Voters, cs.VotersOutgoing} {
		if len(half) == 0 {
			continue
		}
		var yes []raft.NodeID
		for _, x := range half {
			if iv.votedFor(x, id, term) {
				yes = append(yes, x)
			}
		}
		if len(yes) < len(half)/2+1 {
			return &Violation{Invariant: "election-quorum", Node: id, Term: term,
				Message: fmt.Sprintf("node %d leads term %d with the votes of %v, not a majority of the voters %v of the configuration in its log (%v)", id, term, yes, half, cs)}
		}
	}
	return iv.checkOneChange(id, term, v)
}

// checkRemovedLeader fails a leader whose removal has committed on it.
func (iv *Invariants) checkRemovedLeader(id raft.NodeID, st raft.Status) *Violation {
	if st.Role != raft.RoleLeader {
		return nil
	}
	cs, idx, ok := iv.configOf(id)
	if !ok || cs.IsVoter(id) || st.Commit < idx {
		return nil
	}
	return &Violation{Invariant: "removed-leader", Node: id, Term: st.Term, Index: idx,
		Message: fmt.Sprintf("node %d still leads term %d with its commit index at %d, past the configuration at %d that removed it (%v)", id, st.Term, st.Commit, idx, cs)}
}

// noteCommit raises the highest commit index known; v holds the entry.
func (iv *Invariants) noteCommit(index raft.Index, v interface {
	Term(raft.Index) (raft.Term, bool)
}) {
	if index <= iv.mem.maxCommit.index {
		return
	}
	t, _ := v.Term(index)
	iv.mem.maxCommit = commitMark{index: index, term: t}
}

// noteConfigApplied records a configuration entry applied: committed.
func (iv *Invariants) noteConfigApplied(e raft.Entry) {
	if e.Index <= iv.mem.confCommitted.index {
		return
	}
	cs, err := raft.DecodeConfState(e.Data)
	if err != nil {
		return // log-matching and the node itself refuse such an entry
	}
	iv.mem.confCommitted = commitMark{index: e.Index, term: e.Term}
	iv.mem.confCommittedConf = cs
}

// checkConfigAppend runs when node id writes entries holding a
// configuration entry: the one-change rule for a leader appending its
// own, and the overlap of the configurations in force.
func (iv *Invariants) checkConfigAppend(id raft.NodeID, v NodeView, ents []raft.Entry) *Violation {
	if _, _, ok := iv.configOf(id); !ok {
		return nil
	}
	st := v.Status()
	iv.noteCommit(st.Commit, v)
	if nf := iv.node(id); nf.leaderTerm != 0 && ents[len(ents)-1].Term == nf.leaderTerm {
		if vi := iv.checkOneChange(id, nf.leaderTerm, v); vi != nil {
			return vi
		}
	}
	return iv.checkOverlap(id)
}

// checkOneChange counts the configuration entries of leader id's log past
// the highest commit index known: at most one.
func (iv *Invariants) checkOneChange(id raft.NodeID, term raft.Term, v NodeView) *Violation {
	st := v.Status()
	iv.noteCommit(st.Commit, v)
	var found []raft.Index
	for i := st.LastIndex; i > iv.mem.maxCommit.index && i >= st.FirstIndex; i-- {
		if iv.isConfigEntry(i, v) {
			found = append(found, i)
		}
	}
	if len(found) > 1 {
		return &Violation{Invariant: "one-config-change", Node: id, Term: term, Index: found[0],
			Message: fmt.Sprintf("leader %d of term %d holds configuration entries at %v, all past the highest commit index %d: more than one change in flight", id, term, found, iv.mem.maxCommit.index)}
	}
	return nil
}

// isConfigEntry reports whether the entry at i of v's log is a
// configuration entry, as ObserveAppend recorded it.
func (iv *Invariants) isConfigEntry(i raft.Index, v NodeView) bool {
	t, ok := v.Term(i)
	if !ok {
		return false
	}
	f, ok := iv.lookupEntry(i, t)
	return ok && f.config
}

// checkOverlap checks that the configurations in force have overlapping
// quorums; id names the node whose append brought the check on.
func (iv *Invariants) checkOverlap(id raft.NodeID) *Violation {
	type inForce struct {
		cs  raft.ConfState
		key string
		by  raft.NodeID
	}
	var confs []inForce
	for _, x := range iv.ids {
		if lv, ok := iv.cluster(x).(CommitView); ok {
			iv.noteCommit(lv.Committed(), iv.cluster(x))
		}
	}
	mark := iv.mem.maxCommit
	for _, x := range iv.ids {
		lv := iv.cluster(x)
		if mark.index > 0 {
			t, ok := lv.Term(mark.index)
			if ok && t != mark.term || !ok && mark.index > lv.LastIndex() {
				continue // lacks a committed entry: it can elect no one
			}
		}
		cs, _ := lv.(ConfigView).Config()
		key := cs.String()
		if !slices.ContainsFunc(confs, func(c inForce) bool { return c.key == key }) {
			confs = append(confs, inForce{cs: cs, key: key, by: x})
		}
	}
	for i := range confs {
		for j := i + 1; j < len(confs); j++ {
			a, b := confs[i], confs[j]
			pair := [2]string{a.key, b.key}
			if iv.mem.overlapOK[pair] {
				continue
			}
			qa, qb, disjoint := disjointQuorums(a.cs, b.cs)
			if !disjoint {
				if iv.mem.overlapOK == nil {
					iv.mem.overlapOK = map[[2]string]bool{}
				}
				iv.mem.overlapOK[pair] = true
				continue
			}
			return &Violation{Invariant: "config-quorum-overlap", Node: id,
				Message: fmt.Sprintf("configurations in force on nodes %d (%v) and %d (%v) have disjoint quorums %v and %v: both could elect a leader in one term", a.by, a.cs, b.by, b.cs, qa, qb)}
		}
	}
	return nil
}

// disjointQuorums looks for a quorum of a and a quorum of b that share no
// node, by trying every subset of their voters (at most 2^20).
func disjointQuorums(a, b raft.ConfState) (qa, qb []raft.NodeID, found bool) {
	var u []raft.NodeID
	for _, l := range [][]raft.NodeID{a.Voters, a.VotersOutgoing, b.Voters, b.VotersOutgoing} {
		u = append(u, l...)
	}
	slices.Sort(u)
	u = slices.Compact(u)
	if len(u) > 20 {
		return nil, nil, false // beyond any simulated cluster; not checked
	}
	mask := func(ids []raft.NodeID) uint32 {
		var m uint32
		for _, id := range ids {
			m |= 1 << uint(slices.Index(u, id))
		}
		return m
	}
	isQuorum := func(cs raft.ConfState, s uint32) bool {
		for _, half := range [][]raft.NodeID{cs.Voters, cs.VotersOutgoing} {
			if len(half) > 0 && bits.OnesCount32(s&mask(half)) < len(half)/2+1 {
				return false
			}
		}
		return true
	}
	all := uint32(1)<<uint(len(u)) - 1
	for s := uint32(0); s <= all; s++ {
		if isQuorum(a, s) && isQuorum(b, all&^s) {
			pick := func(m uint32) []raft.NodeID {
				var out []raft.NodeID
				for i, id := range u {
					if m&(1<<uint(i)) != 0 {
						out = append(out, id)
					}
				}
				return out
			}
			return pick(s), pick(all &^ s), true
		}
	}
	return nil, nil, false
}

// couldWin reports whether node x, whose log's last entry is me, could win
// an election: it is a voter of its configuration, and each voter half of
// it has a majority of nodes whose logs are no more up to date than x's
// (§5.4.1), as lasts gives them by position. A fenced node votes for no
// one (raft's protocol-aware recovery). Without configurations, every
// node is a voter of one configuration of all.
func (iv *Invariants) couldWin(x raft.NodeID, me commitMark) (bool, []raft.NodeID) {
	atMost := func(o commitMark) bool {
		return !o.fenced && (me.term > o.term || me.term == o.term && me.index >= o.index)
	}
	cs, _, ok := iv.configOf(x)
	if !ok {
		cs = raft.ConfState{Voters: iv.ids}
	} else if !cs.IsVoter(x) {
		return false, nil
	}
	var voters []raft.NodeID
	for _, half := range [][]raft.NodeID{cs.Voters, cs.VotersOutgoing} {
		if len(half) == 0 {
			continue
		}
		n := 0
		for _, y := range half {
			for i, z := range iv.ids {
				if z == y && atMost(iv.lasts[i]) {
					n++
					if !slices.Contains(voters, y) {
						voters = append(voters, y)
					}
				}
			}
		}
		if n < len(half)/2+1 {
			return false, nil
		}
	}
	slices.Sort(voters)
	return true, voters
}

// quorumText says what a could-win quorum is, for messages.
func quorumText(x raft.NodeID, iv *Invariants) string {
	cs, _, ok := iv.configOf(x)
	if !ok {
		return "a quorum"
	}
	return "a quorum of its configuration " + strings.TrimSpace(cs.String())
}
