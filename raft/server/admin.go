package server

import (
	"context"
	"fmt"

	"github.com/raftsim/raftsim/raft"
)

// Membership administration (§6): configuration changes and leadership
// transfers, made at the leader by Run's goroutine like any proposal.

// adminRequest is a configuration change or a leadership transfer
// waiting for Run's goroutine.
type adminRequest struct {
	// transfer, when set, hands leadership to that node; otherwise cc
	// is proposed.
	transfer raft.NodeID
	cc       raft.ConfChange
	// term is the term of the change's entry, once proposed.
	term raft.Term
	done chan adminResult
}

type adminResult struct {
	cs  raft.ConfState
	err error
}

// ChangeConfig proposes the configuration change cc at this node, which
// must lead, and waits until it is applied here: it then returns the
// configuration the change's entry made (a joint configuration, for a
// change that needs one, which the leader leaves by itself unless cc
// asked to leave explicitly). Errors: a *raft.NotLeaderError, errors
// wrapping raft.ErrConfChangeInProgress (retry later: another change is
// in flight, or the leader has not committed an entry of its term yet),
// raft.ErrInvalidConfChange, raft.ErrNotCaughtUp or
// raft.ErrLeadershipTransfer (not proposed); ErrOverwritten (proposed,
// not applied); ErrUnknownOutcome (it may still take effect); ErrBusy,
// ErrStopped.
func (s *Server) ChangeConfig(ctx context.Context, cc raft.ConfChange) (raft.ConfState, error) {
	r := &adminRequest{cc: cc, done: make(chan adminResult, 1)}
	res, err := s.admin(ctx, r)
	return res.cs, err
}

// TransferLeadership asks this node, which must lead, to hand leadership
// over to node to (§3.10 of the thesis) and returns once the transfer has
// started: the leader refuses proposals meanwhile, brings to up to date
// and tells it to stand at once; it gives up after an election timeout.
// Status().Leader tells when it is done. Errors: a *raft.NotLeaderError,
// errors wrapping raft.ErrInvalidTransfer or raft.ErrLeadershipTransfer,
// ErrBusy, ErrStopped.
func (s *Server) TransferLeadership(ctx context.Context, to raft.NodeID) error {
	r := &adminRequest{transfer: to, done: make(chan adminResult, 1)}
	_, err := s.admin(ctx, r)
	return err
}

// admin hands r to Run's goroutine and waits for its result.
func (s *Server) admin(ctx context.Context, r *adminRequest) (adminResult, error) {
	select {
	case <-s.done:
		return adminResult{}, ErrStopped
	case s.admins <- r:
	default:
		s.counts.busy.Add(1)
		return adminResult{}, ErrBusy
	}
	select {
	case res := <-r.done:
		return res, res.err
	case <-ctx.Done():
		return adminResult{}, fmt.Errorf("%w: no outcome before the caller gave up (%w)", ErrUnknownOutcome, ctx.Err())
	case <-s.done:
		select {
		case res := <-r.done:
			return res, res.err
		default:
			return adminResult{}, ErrStopped
		}
	}
}

// administer carries out an admin request (Run's goroutine).
func (s *Server) administer(r *adminRequest) {
	if r.transfer != raft.None {
		r.done <- adminResult{err: s.node.TransferLeadership(r.transfer)}
		return
	}
	idx, term, err := s.node.ProposeConfChange(r.cc)
	if err != nil {
		r.done <- adminResult{err: err}
		return
	}
	r.term = term
	s.pendingConf[idx] = r
}

// applyConf answers the change waiting for configuration entry e, if
// this node proposed it.
func (s *Server) applyConf(e raft.Entry) {
	r := s.pendingConf[e.Index]
	if r == nil {
		return
	}
	delete(s.pendingConf, e.Index)
	if e.Term != r.term {
		r.done <- adminResult{err: ErrOverwritten}
		return
	}
	cs, err := raft.DecodeConfState(e.Data)
	r.done <- adminResult{cs: cs, err: err}
}

// endConfs ends every waiting change with err, or those whose entries a
// snapshot up to upTo covers (upTo > 0).
func (s *Server) endConfs(err error, upTo raft.Index) {
	for idx, r := range s.pendingConf {
		if upTo == 0 || idx <= upTo {
			r.done <- adminResult{err: err}
			delete(s.pendingConf, idx)
		}
	}
}
