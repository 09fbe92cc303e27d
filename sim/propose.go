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
	propPending proposalState = iota + 1
	propRefused               // never entered a log
	propDone                  // completed: ok, failed or unknown
)

// scenarioProposal is one proposal of an ActPropose.
type scenarioProposal struct {
	node  raft.NodeID
	index raft.Index
	term  raft.Term
	state proposalState
	op    checker.Operation
}

// proposeBatch records the proposals one ActPropose made.
type proposeBatch struct {
	entry    int
	from, to int // s.props[from:to]
}

// propose hands a's burst to each target node.
func (s *Simulator) propose(i int, a *Action, nodes []raft.NodeID) {
	batch := proposeBatch{entry: i, from: len(s.props)}
	for _, id := range nodes {
		n := s.nodes[id-1]
		for range a.Count {
			k := len(s.props)
			cid := kv.ClientID(proposalClientBase + uint64(k) + 1)
			value := "[p" + strconv.Itoa(k+1) + "]"
			cmd := kv.Append(cid, 1, ProposalKey, value)
			p := scenarioProposal{node: id, state: propPending, op: checker.Operation{
				ClientID: uint64(cid), Seq: 1, Kind: checker.OpAppend, Key: ProposalKey, Value: value, Invoke: int64(s.now),
			}}
			s.stats.Ops++
			s.stats.Proposals++
			s.props = append(s.props, p)
			s.trace(TraceEvent{Kind: TraceInvoke, Node: id, N: uint64(cid), Index: 1, Text: describeOp(&p.op)})
			idx, term, err := n.rn.Propose(kv.EncodeCommand(cmd))
			if err != nil {
				s.props[k].state = propRefused
				s.finishProposal(k, checker.OutcomeFail, "refused")
				continue
			}
			s.props[k].index, s.props[k].term = idx, term
			ref := s.requests.put(request{client: -1, prop: k + 1, kind: checker.OpAppend, cmd: cmd})
			n.proposals = append(n.proposals, proposal{index: idx, term: term, req: ref})
		}
		s.process(n)
	}
	batch.to = len(s.props)
	s.batch = batch
}

// proposalReply completes proposal k with its node's answer.
func (s *Simulator) proposalReply(k int, r reply) {
	switch r.status {
	case replyOK:
		s.finishProposal(k, checker.OutcomeOK, "ok")
	case replyUnknown:
		s.finishProposal(k, checker.OutcomeUnknown, "unknown")
	default:
		s.finishProposal(k, checker.OutcomeFail, "fail")
	}
}

// proposalsLost marks the pending proposals of a crashed node unknown: an
// entry may still commit without the node that took it.
func (s *Simulator) proposalsLost(n *node) {
	for k := range s.props {
		if p := &s.props[k]; p.state == propPending && p.node == n.id {
			s.finishProposal(k, checker.OutcomeUnknown, "unknown")
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
	s.history = append(s.history, p.op)
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
		if s.props[k].state == propPending {
			s.props[k].state = propDone
			op := s.props[k].op
			op.Outcome, op.Complete = checker.OutcomeUnknown, int64(s.now)
			s.history = append(s.history, op)
		}
	}
}

// proposalsCommitted reports whether every proposal of the latest burst
// that a node accepted is committed on on nodes (OnMajority, OnAll: every
// node up, or a count). A burst nobody accepted is never committed.
func (s *Simulator) proposalsCommitted(on int) bool {
	b := s.batch
	accepted := 0
	for k := b.from; k < b.to; k++ {
		p := &s.props[k]
		if p.state == propRefused {
			continue
		}
		accepted++
		holders, up := 0, 0
		for _, n := range s.nodes {
			if !n.up {
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
			need = len(s.nodes)/2 + 1
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
	return fmt.Sprintf("timeline[%d]", s.batch.entry)
}
