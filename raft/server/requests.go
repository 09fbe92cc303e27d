package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// Propose submits a command and waits until it is applied, the node
// stops leading, or ctx ends: Submit(cmd).Wait(ctx).
func (s *Server) Propose(ctx context.Context, cmd kv.Command) (Result, error) {
	return s.Submit(cmd).Wait(ctx)
}

// Call is a submitted proposal.
type Call struct {
	s   *Server
	p   *proposal
	err error
}

// Submit hands a command to the node and returns at once; Wait collects
// the outcome. Commands submitted one after another from one goroutine
// are proposed in that order. A command with Client 0 joins this
// process's own session: the server gives it the session's next
// sequence number when it proposes it, so such commands are applied in
// proposal order and never refused as stale. A command with its own
// client ID and sequence number is applied at most once however often it
// is retried.
func (s *Server) Submit(cmd kv.Command) *Call {
	if err := cmd.Validate(); err != nil {
		return &Call{err: err}
	}
	p := &proposal{cmd: cmd, done: make(chan Result, 1)}
	select {
	case <-s.done:
		return &Call{err: ErrStopped}
	case s.props <- p:
		return &Call{s: s, p: p}
	default:
		s.counts.busy.Add(1)
		return &Call{err: ErrBusy}
	}
}

// Wait returns the outcome. Errors: a *raft.NotLeaderError (not
// proposed; retry at the leader), ErrBusy (not proposed), ErrOverwritten
// (not applied), ErrUnknownOutcome (may or may not be applied: also when
// ctx ends first), ErrStopped, or the command's validation error.
func (c *Call) Wait(ctx context.Context) (Result, error) {
	if c.err != nil {
		return Result{}, c.err
	}
	select {
	case r := <-c.p.done:
		return r, r.Err
	case <-ctx.Done():
		return Result{}, fmt.Errorf("%w: no outcome before the caller gave up (%w)", ErrUnknownOutcome, ctx.Err())
	case <-c.s.done:
		// Run ends every pending proposal before closing done; one that
		// it had not taken from the queue was never proposed.
		select {
		case r := <-c.p.done:
			return r, r.Err
		default:
			return Result{}, ErrStopped
		}
	}
}

// Read returns key's value by a ReadIndex read: SubmitRead(key).Wait(ctx).
func (s *Server) Read(ctx context.Context, key string) (value string, found bool, err error) {
	return s.SubmitRead(key).Wait(ctx)
}

// ReadCall is a submitted read.
type ReadCall struct {
	s   *Server
	r   *readRequest
	err error
}

// SubmitRead asks for a linearizable read of key by ReadIndex (no log
// entry) and returns at once.
func (s *Server) SubmitRead(key string) *ReadCall {
	r := &readRequest{key: key, done: make(chan readResult, 1)}
	select {
	case <-s.done:
		return &ReadCall{err: ErrStopped}
	case s.reads <- r:
		return &ReadCall{s: s, r: r}
	default:
		s.counts.busy.Add(1)
		return &ReadCall{err: ErrBusy}
	}
}

// Wait returns the value read. It fails with a *raft.NotLeaderError on a
// follower, ErrReadAborted if leadership is lost first, ErrBusy,
// ErrStopped, or ctx's error.
func (c *ReadCall) Wait(ctx context.Context) (value string, found bool, err error) {
	if c.err != nil {
		return "", false, c.err
	}
	select {
	case res := <-c.r.done:
		return res.value, res.found, res.err
	case <-ctx.Done():
		return "", false, ctx.Err()
	case <-c.s.done:
		select {
		case res := <-c.r.done:
			return res.value, res.found, res.err
		default:
			return "", false, ErrStopped
		}
	}
}

// propose hands a command to the node (Run's goroutine).
func (s *Server) propose(p *proposal) {
	cmd := p.cmd
	if cmd.Client == 0 && cmd.Op != kv.OpRegister && s.cfg.Sessions.Max == 0 {
		if s.role != raft.RoleLeader {
			p.done <- Result{Err: &raft.NotLeaderError{Leader: s.node.Status().Leader}}
			return
		}
		s.autoSeq++
		cmd.Client, cmd.Seq = s.autoClient, s.autoSeq
		p.cmd = cmd
	}
	idx, term, err := s.node.Propose(kv.EncodeCommand(cmd))
	if err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			s.counts.busy.Add(1)
			err = ErrBusy
		}
		p.done <- Result{Err: err}
		return
	}
	s.counts.proposals.Add(1)
	p.term = term
	s.pending[idx] = p
}

// read asks the node to confirm a read (Run's goroutine).
func (s *Server) read(r *readRequest) {
	s.nextReadID++
	id := s.nextReadID
	if err := s.node.ReadIndex(id); err != nil {
		if errors.Is(err, raft.ErrReadDropped) {
			s.counts.busy.Add(1)
			err = ErrBusy
		}
		r.done <- readResult{err: err}
		return
	}
	s.counts.reads.Add(1)
	s.readsByID[id] = r
}

// apply applies one committed entry and answers its proposal, if this
// node made it.
func (s *Server) apply(e raft.Entry) {
	if e.Type == raft.EntryConfig {
		s.applyConf(e)
	}
	p := s.pending[e.Index]
	if p == nil {
		s.store.Apply(e)
		return
	}
	delete(s.pending, e.Index)
	if e.Term != p.term {
		p.done <- Result{Err: ErrOverwritten}
		s.store.Apply(e)
		return
	}
	var res Result
	if p.cmd.Op == kv.OpDelete {
		_, res.Existed = s.store.Read(p.cmd.Key)
	}
	executed := s.store.Executed()
	b := s.store.Apply(e)
	res.Retry = s.store.Executed() == executed
	if res.Retry {
		res.Existed = false
	}
	resp, err := kv.DecodeResponse(b)
	if err != nil {
		panic(fmt.Sprintf("server: the state machine answered entry %d with bytes that do not decode: %v", e.Index, err))
	}
	res.Response = resp
	if p.cmd.Op == kv.OpAppend {
		v, _ := s.store.Read(p.cmd.Key)
		res.Length = len(v)
	}
	p.done <- res
}

// confirm records a ReadState: its read can be served once applied.
func (s *Server) confirm(rs raft.ReadState) {
	r := s.readsByID[rs.ID]
	if r == nil {
		return
	}
	delete(s.readsByID, rs.ID)
	s.confirmed = append(s.confirmed, confirmedRead{index: rs.Index, r: r})
}

// serveReads answers the confirmed reads whose index is applied. Read
// indexes are confirmed in increasing order, so the queue is sorted.
func (s *Server) serveReads() {
	applied := s.store.AppliedIndex()
	n := 0
	for _, c := range s.confirmed {
		if c.index > applied {
			break
		}
		v, found := s.store.Read(c.r.key)
		c.r.done <- readResult{value: v, found: found}
		n++
	}
	s.confirmed = append(s.confirmed[:0], s.confirmed[n:]...)
}
