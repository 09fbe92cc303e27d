package raft

import (
	"fmt"

	"github.com/raftsim/raftsim/raft/bugs"
)

// checkMessage rejects messages that no correct peer sends, so that a
// garbled or hostile message cannot break a local invariant.
func (n *Node) checkMessage(m Message) error {
	if m.To != n.id {
		return fmt.Errorf("%w: addressed to %d, this is node %d", ErrInvalidMessage, m.To, n.id)
	}
	// Any other node may write: a leader this node's configuration does
	// not know yet (it was just added), a node being removed.
	if m.From == None || m.From == n.id {
		return fmt.Errorf("%w: from %d, not a peer of node %d", ErrInvalidMessage, m.From, n.id)
	}
	if m.Type < MsgPreVote || int(m.Type) >= NumMessageTypes {
		return fmt.Errorf("%w: unknown type %d", ErrInvalidMessage, m.Type)
	}
	if m.Term == 0 {
		return fmt.Errorf("%w: %s with term 0", ErrInvalidMessage, m.Type)
	}
	if m.Type != MsgApp && len(m.Entries) > 0 {
		return fmt.Errorf("%w: %s carries entries", ErrInvalidMessage, m.Type)
	}
	if err := n.checkSnapshotMessage(m); err != nil {
		return err
	}
	if m.Type == MsgApp {
		prevTerm := m.LogTerm
		for i, e := range m.Entries {
			if e.Index != m.Index+1+Index(i) {
				return fmt.Errorf("%w: MsgApp entry %d has index %d after prev index %d", ErrInvalidMessage, i, e.Index, m.Index)
			}
			if e.Term < prevTerm || e.Term > m.Term {
				return fmt.Errorf("%w: MsgApp entry %d has term %d, outside [%d, %d]", ErrInvalidMessage, e.Index, e.Term, prevTerm, m.Term)
			}
			if e.Type < EntryNormal || e.Type > EntryConfig {
				return fmt.Errorf("%w: MsgApp entry %d has type %d", ErrInvalidMessage, e.Index, e.Type)
			}
			if e.Type == EntryConfig {
				if _, err := DecodeConfState(e.Data); err != nil {
					return fmt.Errorf("%w: MsgApp entry %d: %v", ErrInvalidMessage, e.Index, err)
				}
			}
			prevTerm = e.Term
		}
		if m.LogTerm > m.Term {
			return fmt.Errorf("%w: MsgApp prev term %d above its term %d", ErrInvalidMessage, m.LogTerm, m.Term)
		}
		// Every log holds the empty prefix, of term 0: an append after
		// index 0 with another term is one no log can match, and a
		// leader answered by rejects at index 0 probes forever.
		if m.Index == 0 && m.LogTerm != 0 {
			return fmt.Errorf("%w: MsgApp after index 0 with prev term %d: the empty prefix has term 0", ErrInvalidMessage, m.LogTerm)
		}
	}
	return nil
}

// step applies the term rules common to every role (§5.1), then hands the
// message to the role.
func (n *Node) step(m Message) error {
	switch {
	case m.Term > n.term:
		if n.role == RoleLeader && m.Type.IsResponse() && bugs.Fire(bugs.StaleLeaderIgnoresHigherTerm) {
			return nil
		}
		if m.Type == MsgPreVote || m.Type == MsgVote {
			// CheckQuorum's counterpart: a node that heard from a leader
			// within the minimum election timeout does not help depose it
			// (§6, "disruptive servers"). It neither votes nor takes the
			// higher term. A candidate the leader itself asked to stand
			// (leadership transfer, MsgTimeoutNow) is the exception.
			if n.inLease() && !(m.Type == MsgVote && m.Context == contextTransfer) {
				return nil
			}
		}
		switch {
		case m.Type == MsgPreVote && bugs.Fire(bugs.PreVoteTakesTerm):
			n.becomeFollower(m.Term, None)
		case m.Type == MsgPreVote:
			// A pre-vote does not change anyone's term.
		case m.Type == MsgPreVoteResp && !m.Reject:
			// Granted pre-votes carry the term we would campaign in; we
			// take it only when a quorum grants.
		case m.Type == MsgApp || m.Type == MsgHeartbeat || m.Type == MsgSnap || m.Type == MsgTimeoutNow:
			n.becomeFollower(m.Term, m.From)
		default:
			n.becomeFollower(m.Term, None)
		}
	case m.Term < n.term:
		if m.Type == MsgApp && bugs.Fire(bugs.AcceptStaleTermAppend) {
			n.lead = m.From
			return n.handleAppend(m)
		}
		switch m.Type {
		case MsgApp, MsgHeartbeat, MsgSnap:
			// A leader from an older term that is cut off from the rest
			// may never learn of the new term while PreVote or CheckQuorum
			// keeps us from disrupting it; tell it.
			if !n.cfg.DisablePreVote || !n.cfg.DisableCheckQuorum {
				n.send(Message{Type: MsgAppResp, To: m.From, Term: n.term})
			}
		case MsgPreVote:
			n.send(Message{Type: MsgPreVoteResp, To: m.From, Term: n.term, Reject: true})
		}
		return nil
	}

	switch m.Type {
	case MsgPreVote, MsgVote:
		n.handleVoteRequest(m)
		return nil
	}
	switch n.role {
	case RoleLeader:
		n.stepLeader(m)
		return nil
	case RoleCandidate, RolePreCandidate:
		return n.stepCandidate(m)
	case RoleFollower:
		return n.stepFollower(m)
	}
	panic(fmt.Sprintf("raft: node %d in invalid role %d", n.id, n.role))
}

// inLease reports whether this node heard from a live leader within the
// minimum election timeout.
func (n *Node) inLease() bool {
	return !n.cfg.DisableCheckQuorum && n.lead != None && n.electionElapsed < n.cfg.ElectionTicks
}

func (n *Node) stepFollower(m Message) error {
	switch m.Type {
	case MsgApp:
		n.electionElapsed = 0
		n.lead = m.From
		return n.handleAppend(m)
	case MsgHeartbeat:
		n.electionElapsed = 0
		n.lead = m.From
		n.handleHeartbeat(m)
	case MsgSnap:
		n.electionElapsed = 0
		n.lead = m.From
		n.handleSnapshot(m)
	case MsgTimeoutNow:
		n.handleTimeoutNow(m)
	}
	return nil
}

func (n *Node) stepCandidate(m Message) error {
	switch m.Type {
	case MsgApp:
		// A leader exists in our term (§5.2): give up the candidacy.
		n.becomeFollower(m.Term, m.From)
		n.electionElapsed = 0
		return n.handleAppend(m)
	case MsgHeartbeat:
		n.becomeFollower(m.Term, m.From)
		n.electionElapsed = 0
		n.handleHeartbeat(m)
	case MsgSnap:
		n.becomeFollower(m.Term, m.From)
		n.handleSnapshot(m)
	case MsgPreVoteResp:
		if n.role == RolePreCandidate {
			n.handleVoteResponse(m)
		}
	case MsgVoteResp:
		if n.role == RoleCandidate {
			n.handleVoteResponse(m)
		}
	}
	return nil
}

// becomeFollower moves to term as a follower of lead (None: unknown). The
// election timer keeps running (Figure 2: only an AppendEntries from the
// current leader or a vote granted resets it), except for a leader that
// steps down: its timer counted CheckQuorum rounds, not an election.
// Resetting it on every higher term would let candidates with stale logs,
// whose votes this node then refuses, keep it from ever standing itself.
func (n *Node) becomeFollower(term Term, lead NodeID) {
	wasLeader := n.role == RoleLeader
	n.reset(term)
	n.role = RoleFollower
	n.lead = lead
	if wasLeader {
		n.resetElectionTimer()
	}
}

func (n *Node) becomePreCandidate() {
	if n.role == RoleLeader {
		panic(fmt.Sprintf("raft: node %d: leader cannot become pre-candidate", n.id))
	}
	// A pre-candidate keeps its term and vote: it only asks whether an
	// election could succeed.
	n.role = RolePreCandidate
	n.lead = None
	clear(n.votes)
	n.needFlush = false
}

func (n *Node) becomeCandidate() {
	if n.role == RoleLeader {
		panic(fmt.Sprintf("raft: node %d: leader cannot become candidate", n.id))
	}
	n.reset(n.term + 1)
	n.vote = n.id
	n.role = RoleCandidate
}

func (n *Node) becomeLeader() {
	if n.role != RoleCandidate {
		panic(fmt.Sprintf("raft: node %d: becoming leader from %s", n.id, n.role))
	}
	n.reset(n.term)
	n.resetElectionTimer()
	n.role = RoleLeader
	n.lead = n.id
	for i := range n.prs {
		pr := &n.prs[i]
		pr.match = 0
		pr.next = n.log.lastIndex() + 1
		pr.becomeProbe()
		pr.next = n.log.lastIndex() + 1
		pr.recentActive = true
		pr.ackedRound = 0
		pr.sentCommit = 0
	}
	if n.self < 0 {
		panic(fmt.Sprintf("raft: node %d: leader of term %d is no member of its configuration %v", n.id, n.term, n.conf))
	}
	n.prs[n.self].match = n.log.lastIndex()
	// A new leader commits an entry of its own term at once: until then it
	// cannot know which entries are committed (§5.4.2, §8).
	n.appendEntry(Entry{Term: n.term, Index: n.log.lastIndex() + 1, Type: EntryNoop})
}

// reset clears per-term volatile state for a role change into term. It
// leaves the election timer alone: the callers that restart it say why.
func (n *Node) reset(term Term) {
	if term < n.term {
		panic(fmt.Sprintf("raft: node %d: term moving back from %d to %d", n.id, n.term, term))
	}
	if term != n.term {
		n.term = term
		n.vote = None
		// A transfer in progress came from the leader of the old term.
		n.recv = snapshotReceive{}
		n.transferSent = false
	}
	n.lead = None
	n.heartbeatElapsed = 0
	clear(n.votes)
	n.reads = n.reads[:0]
	n.needFlush = false
	n.transferee, n.transferElapsed = None, 0
}

// resetElectionTimer restarts the election timer with a new randomized
// timeout.
func (n *Node) resetElectionTimer() {
	n.electionElapsed = 0
	n.resetElectionTimeout()
}

func (n *Node) resetElectionTimeout() {
	t := n.cfg.ElectionTicks
	n.electionTimeout = t + n.cfg.Rand.IntN(t)
	if n.electionTimeout != t && bugs.Fire(bugs.FixedElectionTimeout) {
		n.electionTimeout = t
	}
}

func (n *Node) tickElection() {
	n.electionElapsed++
	if n.electionElapsed < n.electionTimeout {
		return
	}
	// Figure 2: starting an election resets the timer; so does a
	// pre-vote, which may end without a term change.
	n.resetElectionTimer()
	if !n.promotable() && !(n.self >= 0 && bugs.Fire(bugs.LearnerStands)) || n.fenced() {
		// Learners, removed nodes and nodes not added yet never stand,
		// nor does a node repairing its log (repair.go).
		return
	}
	n.campaign(!n.cfg.DisablePreVote, false)
}

func (n *Node) tickLeader() {
	n.heartbeatElapsed++
	n.electionElapsed++
	if n.electionElapsed >= n.cfg.ElectionTicks {
		n.electionElapsed = 0
		if !n.cfg.DisableCheckQuorum {
			if !n.quorumActive() {
				// We may be cut off from a majority that elected someone
				// else: stop acting as leader (§6.2 of the thesis).
				n.becomeFollower(n.term, None)
				return
			}
			for i := range n.prs {
				n.prs[i].recentActive = i == n.self
			}
		}
	}
	if n.heartbeatElapsed >= n.cfg.HeartbeatTicks {
		n.heartbeatElapsed = 0
		n.broadcastHeartbeat()
	}
	n.tickTransfer()
}

// campaign starts a pre-vote (pre) or an election; transfer marks an
// election the leader asked for (MsgTimeoutNow), which voters hold no
// lease against.
func (n *Node) campaign(pre, transfer bool) {
	typ, term := MsgVote, n.term+1
	if pre {
		n.becomePreCandidate()
		typ = MsgPreVote
	} else {
		n.becomeCandidate()
		term = n.term
	}
	if n.recordVote(n.id, true) {
		return
	}
	var ctx uint64
	if transfer {
		ctx = contextTransfer
	}
	for i := range n.prs {
		pr := &n.prs[i]
		if i == n.self || pr.role&roleVoter == 0 && !bugs.On(bugs.CountLearnerVote) {
			continue
		}
		n.send(Message{Type: typ, To: pr.id, Term: term, Index: n.log.lastIndex(), LogTerm: n.log.lastTerm(), Context: ctx})
	}
}

// recordVote tallies a (pre-)vote and acts on a decided election. It
// returns true when the election was decided.
func (n *Node) recordVote(from NodeID, granted bool) bool {
	i := n.memberIndex(from)
	if i < 0 {
		return false // no member of our configuration: its vote does not count
	}
	if n.votes[i] == 0 {
		if granted {
			n.votes[i] = 1
		} else {
			n.votes[i] = -1
		}
	}
	switch won, lost := n.tally(); {
	case won:
		if n.role == RolePreCandidate {
			n.campaign(false, false)
		} else {
			n.becomeLeader()
		}
		return true
	case lost:
		n.becomeFollower(n.term, None)
		return true
	}
	return false
}

func (n *Node) handleVoteRequest(m Message) {
	resp := MsgVoteResp
	if m.Type == MsgPreVote {
		resp = MsgPreVoteResp
	}
	if n.fenced() {
		// Our log may lack entries we acknowledged: the up-to-date check
		// would judge the candidate against less than we promised to
		// keep (repair.go).
		n.send(Message{Type: resp, To: m.From, Term: n.term, Reject: true})
		return
	}
	// We may vote for a candidate we already voted for (a retried
	// request), in a term where we have not voted and know no leader, or,
	// for a pre-vote, in any future term.
	canVote := n.vote == m.From ||
		(n.vote == None && n.lead == None) ||
		(m.Type == MsgPreVote && m.Term > n.term)
	if canVote && (n.log.isUpToDate(m.Index, m.LogTerm) || bugs.Fire(bugs.VoteWithoutLogCheck) ||
		n.memberIndex(m.From) < 0 && bugs.Fire(bugs.GrantVoteToStranger)) { // §5.4.1
		n.send(Message{Type: resp, To: m.From, Term: m.Term})
		if m.Type == MsgVote {
			n.electionElapsed = 0
			n.vote = m.From
		}
		return
	}
	n.send(Message{Type: resp, To: m.From, Term: n.term, Reject: true})
}

func (n *Node) handleVoteResponse(m Message) {
	n.recordVote(m.From, !m.Reject)
}
