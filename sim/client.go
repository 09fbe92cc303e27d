package sim

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/raftsim/raftsim/checker"
	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
	"github.com/raftsim/raftsim/raft/kv"
)

// retryBackoff is how long a client waits before retrying after a
// definite refusal with no leader hint, so a leaderless cluster is not
// flooded.
const retryBackoff = 10 * time.Millisecond

// client is one Jepsen-style process: at most one operation outstanding,
// retried with the same session sequence number until it completes or its
// deadline passes.
type client struct {
	pos int
	// id is the client's session; 0 while it has none (bounded sessions,
	// session.go).
	id   kv.ClientID
	rand *rand.Rand
	seq  kv.Seq
	// target is the node the next attempt goes to.
	target raft.NodeID
	// attempt numbers attempts; replies and timeouts of older attempts
	// are stale.
	attempt uint32
	busy    bool
	op      checker.Operation
	cmd     kv.Command
	// deadline is when the client gives up the current operation.
	deadline clock.Time
	// maybeApplied records that some attempt may have taken effect.
	maybeApplied bool
	// lastValue remembers the last value seen per key, so CAS operations
	// often expect the current value.
	lastValue []string
	// registering is set while the client's outstanding request is the
	// registration of a session, not an operation of the history.
	registering bool
	// hist names the current operation to the history.
	hist opHandle
}

// request is a client attempt travelling to a node.
type request struct {
	client  int
	attempt uint32
	kind    checker.OpKind
	cmd     kv.Command
	// commitAtStart is the highest commit index in the cluster when the
	// leader accepted a read; the read must not return older state.
	commitAtStart raft.Index
	// prop is 1 + the scenario proposal this request carries, or 0 for
	// a client's request.
	prop int
}

type replyStatus uint8

const (
	replyOK          replyStatus = iota + 1
	replyNotLeader               // definite: not proposed; hint names the leader
	replyRejected                // definite: not proposed (dropped, read not confirmed)
	replyOverwritten             // definite: proposed, but another entry took its index
	replyUnknown                 // proposed; the leader lost leadership before it applied
)

type reply struct {
	client  int
	attempt uint32
	status  replyStatus
	hint    raft.NodeID
	resp    kv.Response
	found   bool
}

func (s *Simulator) startOp(c *client) {
	if s.now >= s.stopClients {
		return
	}
	if c.id == 0 {
		s.startRegister(c)
		return
	}
	w := &s.cfg.Workload
	c.seq++
	key := int(c.rand.IntN(w.Keys))
	keyName := "k" + strconv.Itoa(key)
	value := "c" + strconv.FormatUint(uint64(c.id), 10) + "-" + strconv.FormatUint(uint64(c.seq), 10)
	draw := c.rand.IntN(w.Mix.total())
	var kind checker.OpKind
	switch {
	case draw < w.Mix.Get:
		kind = checker.OpGet
		c.cmd = kv.Get(c.id, c.seq, keyName)
	case draw < w.Mix.Get+w.Mix.Put:
		kind = checker.OpPut
		c.cmd = kv.Put(c.id, c.seq, keyName, value)
	case draw < w.Mix.Get+w.Mix.Put+w.Mix.Append:
		kind = checker.OpAppend
		// Appended values are unique and delimited, so a lost or doubled
		// append shows in every later read.
		value = "[" + value + "]"
		c.cmd = kv.Append(c.id, c.seq, keyName, value)
	case draw < w.Mix.Get+w.Mix.Put+w.Mix.Append+w.Mix.Delete:
		kind = checker.OpDelete
		c.cmd = kv.Delete(c.id, c.seq, keyName)
	default:
		kind = checker.OpCAS
		c.cmd = kv.CAS(c.id, c.seq, keyName, c.lastValue[key], value)
	}
	c.op = checker.Operation{
		ClientID: uint64(c.id), Seq: uint64(c.seq), Kind: kind, Key: keyName,
		Value: c.cmd.Value, Expected: c.cmd.Expected, Invoke: int64(s.now),
	}
	c.busy = true
	c.maybeApplied = false
	c.deadline = s.now.Add(w.Deadline)
	s.stats.Ops++
	c.hist = s.hist.invoke(c.op)
	s.trace(TraceEvent{Kind: TraceInvoke, N: uint64(c.id), Index: raft.Index(c.seq), Text: describeOp(&c.op)})
	s.sendAttempt(c)
}

func (s *Simulator) sendAttempt(c *client) {
	if c.target == raft.None {
		c.target = s.ids[c.rand.IntN(len(s.ids))]
	}
	c.attempt++
	ref := s.requests.put(request{client: c.pos, attempt: c.attempt, kind: c.op.Kind, cmd: c.cmd})
	n := s.nodes[c.target-1]
	s.schedule(event{at: s.now.Add(s.cfg.Workload.Latency), kind: evClientSend, node: n.pos, ref: ref})
	s.schedule(event{at: s.now.Add(s.cfg.Workload.Attempt), kind: evClientTimeout, node: c.pos, inc: c.attempt})
}

// onClientSend delivers a request to its node.
func (s *Simulator) onClientSend(n *node, e event) {
	if !n.up {
		s.requests.take(e.ref) // lost with the node; the client times out
		return
	}
	if n.paused {
		n.deferred = append(n.deferred, e)
		return
	}
	s.handleRequest(n, e.ref)
}

// reply sends the answer to a request back to its client and frees it.
func (s *Simulator) reply(n *node, ref uint64, r reply) {
	rq := s.requests.take(ref)
	if rq.prop > 0 {
		s.proposalReply(rq.prop-1, r)
		return
	}
	r.client, r.attempt = rq.client, rq.attempt
	s.schedule(event{at: s.now.Add(s.cfg.Workload.Latency), kind: evClientReply, node: rq.client, ref: s.replies.put(r)})
}

func (s *Simulator) onClientReply(c *client, e event) {
	r := s.replies.take(e.ref)
	if !c.busy || r.attempt != c.attempt {
		return // an answer to an attempt the client has given up on
	}
	switch r.status {
	case replyOK:
		switch {
		case c.registering:
			s.registered(c, r)
		case r.resp.Status == kv.StatusSessionExpired:
			s.sessionExpired(c)
		default:
			s.completeOK(c, r)
		}
		return
	case replyNotLeader:
		c.target = r.hint
		if r.hint != raft.None {
			s.retry(c, 0)
			return
		}
	case replyUnknown:
		c.maybeApplied = true
		c.target = raft.None
	case replyRejected, replyOverwritten:
		c.target = raft.None
	}
	s.retry(c, retryBackoff)
}

func (s *Simulator) onClientTimeout(c *client, e event) {
	if !c.busy || e.inc != c.attempt {
		return
	}
	if c.op.Kind != checker.OpGet {
		c.maybeApplied = true
	}
	// Try another node: the one we asked may be down or cut off.
	prev := c.target
	c.target = s.ids[c.rand.IntN(len(s.ids))]
	if c.target == prev && len(s.ids) > 1 {
		c.target = s.ids[(int(prev))%len(s.ids)]
	}
	s.retry(c, 0)
}

func (s *Simulator) retry(c *client, after time.Duration) {
	if s.now.Add(after) >= c.deadline {
		s.giveUp(c)
		return
	}
	if after == 0 {
		s.sendAttempt(c)
		return
	}
	c.attempt++ // outstanding replies are now stale
	s.schedule(event{at: s.now.Add(after), kind: evClientStart, node: c.pos, inc: c.attempt, ref: 1})
}

func (s *Simulator) completeOK(c *client, r reply) {
	op := &c.op
	op.Outcome = checker.OutcomeOK
	key, _ := strconv.Atoi(op.Key[1:])
	switch op.Kind {
	case checker.OpGet:
		op.Found = r.found
		op.Output = r.resp.Value
		c.lastValue[key] = r.resp.Value
	case checker.OpCAS:
		op.Swapped = r.resp.Status == kv.StatusOK
		if op.Swapped {
			c.lastValue[key] = op.Value
		} else {
			c.lastValue[key] = r.resp.Value
		}
	case checker.OpPut:
		c.lastValue[key] = op.Value
	case checker.OpDelete:
		c.lastValue[key] = ""
	}
	s.stats.OpsOK++
	if s.progressWindows > 0 {
		s.opCompleted(op.Invoke)
	}
	s.finishOp(c, "ok")
}

func (s *Simulator) giveUp(c *client) {
	if c.registering {
		s.endRegister(c)
		return
	}
	if c.maybeApplied {
		c.op.Outcome = checker.OutcomeUnknown
		s.stats.OpsUnknown++
		s.finishOp(c, "unknown")
		return
	}
	c.op.Outcome = checker.OutcomeFail
	s.stats.OpsFailed++
	s.finishOp(c, "fail")
}

func (s *Simulator) finishOp(c *client, outcome string) {
	c.op.Complete = int64(s.now)
	c.busy = false
	c.attempt++
	s.hist.complete(c.hist, c.op)
	s.trace(TraceEvent{Kind: TraceComplete, N: uint64(c.id), Index: raft.Index(c.seq), Text: outcome})
	if s.healing && c.op.Outcome == checker.OutcomeOK && c.op.Invoke >= int64(s.healStart) && !s.progressed[c.pos] {
		s.progressed[c.pos] = true
	}
	s.schedule(event{at: s.now.Add(s.cfg.Workload.Think), kind: evClientStart, node: c.pos, inc: c.attempt})
}

// onClientStart begins the next operation, or (ref 1) the delayed retry
// of the current one.
func (s *Simulator) onClientStart(c *client, e event) {
	if e.inc != c.attempt {
		return
	}
	if e.ref == 1 {
		if c.busy {
			s.sendAttempt(c)
		}
		return
	}
	if !c.busy {
		s.startOp(c)
	}
}

// describeOp is the trace text of an invocation: "cas k3 c1-4 c2-9".
func describeOp(op *checker.Operation) string {
	s := op.Kind.String() + " " + op.Key
	if op.Kind == checker.OpCAS {
		s += " " + strconv.Quote(op.Expected)
	}
	if op.Value != "" {
		s += " " + op.Value
	}
	return s
}

func asNotLeader(err error, target **raft.NotLeaderError) bool {
	return errors.As(err, target)
}
