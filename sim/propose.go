package sim

import (
	"fmt"
	"strconv"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// Proposal bursts: an ActPropose hands Count commands to each target node
// at once, as a test harness calls Start on a Raft peer. Each is its own
// operation in the history, with its own client session (ClientID
// proposalClientBase + its number, sequence 1), appending a unique value
// to key "p": applied at most once (the invariants check every apply), and
// part of the history the linearizability check reads. The key is its own
// because the workload's CAS operations make porcupine place every
// unknown append on their keys, and a burst to an isolated leader leaves
// dozens of those. It completes OK when its node applies it, fails when the node
// refuses it (not the leader) or another entry takes its index, and is
// unknown when its leader steps down or crashes first (it may still
// commit).

// proposalClientBase is above any workload client's ID.
const proposalClientBase = 1 << 32

// ProposalKey is the key proposals append to.
const ProposalKey = "p"

// proposalState is where a scenario proposal stands.
type proposalState uint8

const (
	propPending  proposalState = iota + 1
	propRefused                // never entered a log
	propDone                   // completed: ok, failed or unknown
	propRetrying               // waiting to be proposed again
)

// scenarioProposal is one proposal of an ActPropose.
type scenarioProposal struct {
	// node, index and term locate the latest attempt's entry.
	node  raft.NodeID
	index raft.Index
	term  raft.Term
	state proposalState
	op    checker.Operation
	// With retry, an attempt that ends without the entry applied is
	// followed by another to the leader, with the same command (the state
	// machine applies it once); attempts counts them, and maybeApplied
	// records that one may have taken effect.
	retry        bool
	cmd          kv.Command
	attempts     int
	maybeApplied bool
	// hist is the operation's place in the run's history.
	hist opHandle
}

// maxProposalAttempts bounds the attempts of a retrying proposal.
const maxProposalAttempts = 1000

// proposeBatch records the proposals one ActPropose made.
type proposeBatch struct {
	entry    int
	from, to int // s.props[from:to]
}

// propose hands a's burst to each target node.
func (s *Simulator) propose(i int, a *Action, nodes []raft.NodeID) {
	batch := proposeBatch{entry: i, from: len(s.props)}
	refused := 0
	newProposal := func(id raft.NodeID) int {
		k := len(s.props)
		cid := kv.ClientID(proposalClientBase + uint64(k) + 1)
		value := "[p" + strconv.Itoa(k+1) + "]"
		p := scenarioProposal{node: id, state: propPending, retry: a.Retry, cmd: kv.Append(cid, 1, ProposalKey, value), op: checker.Operation{
			ClientID: uint64(cid), Seq: 1, Kind: checker.OpAppend, Key: ProposalKey, Value: value, Invoke: int64(s.now),
		}}
		s.stats.Ops++
		s.stats.Proposals++
		p.hist = s.hist.invoke(p.op)
		s.props = append(s.props, p)
		s.trace(TraceEvent{Kind: TraceInvoke, Node: id, N: uint64(cid), Index: 1, Text: describeOp(&p.op)})
		return k
	}
	if len(nodes) == 0 && a.Retry {
		// No target now: a retrying burst goes to the next leader.
		for range a.Count {
			s.retryLater(newProposal(raft.None))
		}
	}
	for _, id := range nodes {
		n := s.nodes[id-1]
		for range a.Count {
			k := newProposal(id)
			if !s.attempt(k, n) && s.props[k].state == propRefused {
				refused++
			}
		}
		s.process(n)
	}
	batch.to = len(s.props)
	s.batch = batch
	if refused > 0 && a.Require {
		s.reportMissing(i, a, fmt.Sprintf("%d of %d proposals refused: the node does not lead", refused, batch.to-batch.from))
	}
}

// attempt proposes proposal k's command to n; it reports whether n took
// it. A refusal ends the proposal (failed: it never reached a log) or,
// with retry, schedules another attempt.
func (s *Simulator) attempt(k int, n *node) bool {
	p := &s.props[k]
	p.attempts++
	idx, term, err := n.rn.Propose(kv.EncodeCommand(p.cmd))
	if err != nil {
		if p.retry && s.retryLater(k) {
			return false
		}
		p.state = propRefused
		s.finishProposal(k, checker.OutcomeFail, "refused")
		return false
	}
	p.node, p.index, p.term, p.state = n.id, idx, term, propPending
	ref := s.requests.put(request{client: -1, prop: k + 1, kind: checker.OpAppend, cmd: p.cmd})
	n.proposals = append(n.proposals, proposal{index: idx, term: term, req: ref})
	return true
}

// retryLater schedules another attempt of proposal k, unless it has used
// its attempts.
func (s *Simulator) retryLater(k int) bool {
	p := &s.props[k]
	if p.attempts >= maxProposalAttempts {
		return false
	}
	p.state, p.index, p.term = propRetrying, 0, 0
	s.schedule(event{at: s.now.Add(retryBackoff), kind: evPropRetry, ref: uint64(k)})
	return true
}

// retryProposal proposes proposal k again, to the leader.
func (s *Simulator) retryProposal(k int) {
	p := &s.props[k]
	if p.state != propRetrying {
		return
	}
	s.trace(TraceEvent{Kind: TraceInvoke, N: p.op.ClientID, Index: 1, Text: "retry " + describeOp(&p.op)})
	l := s.leader()
	if l == nil || l.paused {
		if !s.retryLater(k) {
			s.giveUpProposal(k)
		}
		return
	}
	if s.attempt(k, l) {
		s.process(l)
	}
}

// giveUpProposal ends a retrying proposal that used its attempts.
func (s *Simulator) giveUpProposal(k int) {
	if s.props[k].maybeApplied {
		s.finishProposal(k, checker.OutcomeUnknown, "unknown")
	} else {
		s.finishProposal(k, checker.OutcomeFail, "fail")
	}
}

// proposalReply completes proposal k with its node's answer, or with
// retry tries again when the attempt did not take effect for sure.
func (s *Simulator) proposalReply(k int, r reply) {
	p := &s.props[k]
	if r.status == replyOK {
		s.finishProposal(k, checker.OutcomeOK, "ok")
		return
	}
	unknown := r.status == replyUnknown
	p.maybeApplied = p.maybeApplied || unknown
	if p.retry && s.retryLater(k) {
		return
	}
	if unknown || p.maybeApplied {
		s.finishProposal(k, checker.OutcomeUnknown, "unknown")
	} else {
		s.finishProposal(k, checker.OutcomeFail, "fail")
	}
}

// proposalsLost ends the pending proposals of a crashed node as unknown (an
// entry may still commit without the node that took it), or retries them.
func (s *Simulator) proposalsLost(n *node) {
	for k := range s.props {
		if p := &s.props[k]; p.state == propPending && p.node == n.id {
			p.maybeApplied = true
			if !p.retry || !s.retryLater(k) {
				s.finishProposal(k, checker.OutcomeUnknown, "unknown")
			}
		}
	}
}

func (s *Simulator) finishProposal(k int, outcome checker.Outcome, text string) {
	p := &s.props[k]
	if p.state == propPending {
		p.state = propDone
	}
	p.op.Outcome = outcome
	p.op.Complete = int64(s.now)
	s.hist.complete(p.hist, p.op)
	switch outcome {
	case checker.OutcomeOK:
		s.stats.OpsOK++
		if s.progressWindows > 0 {
			s.opCompleted(p.op.Invoke)
		}
	case checker.OutcomeFail:
		s.stats.OpsFailed++
	default:
		s.stats.OpsUnknown++
	}
	s.trace(TraceEvent{Kind: TraceComplete, Node: p.node, N: p.op.ClientID, Index: 1, Text: text})
}

// openProposals closes the proposals still pending at the end of the run:
// their outcome is unknown.
func (s *Simulator) openProposals() {
	for k := range s.props {
		if st := s.props[k].state; st == propPending || st == propRetrying {
			s.props[k].state = propDone
			op := s.props[k].op
			op.Outcome, op.Complete = checker.OutcomeUnknown, int64(s.now)
			s.hist.completeAtEnd(s.props[k].hist, op)
		}
	}
}

// proposalsCommitted reports whether every proposal of the latest burst
// that a node accepted is committed on on nodes (OnMajority, OnAll: every
// node up, or a count). A burst nobody accepted is never committed. With
// all, it asks the same of every proposal made so far that is still in
// play: those that ended failed or unknown (not retrying) are out of it.
func (s *Simulator) proposalsCommitted(on int, all bool) bool {
	from, to := s.batch.from, s.batch.to
	if all {
		from, to = 0, len(s.props)
	}
	accepted := 0
	for k := from; k < to; k++ {
		p := &s.props[k]
		if p.state == propRefused || all && p.state == propDone && p.op.Outcome != checker.OutcomeOK {
			continue
		}
		accepted++
		if p.state == propRetrying {
			return false // no attempt in a log now
		}
		holders, up := 0, 0
		for _, n := range s.nodes {
			if !n.up || !s.isMember(n.id) {
				continue
			}
			up++
			if n.commit >= p.index {
				if t, ok := n.rn.Term(p.index); ok && t == p.term {
					holders++
				}
			}
		}
		need := on
		switch on {
		case OnMajority:
			need = s.majority()
		case OnAll:
			need = up
		}
		if holders < need || holders == 0 {
			return false
		}
	}
	return accepted > 0
}

// lastPropose names the latest burst for messages.
func (s *Simulator) lastPropose() string {
	return s.entryName(s.batch.entry)
}
