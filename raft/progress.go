package raft

import "fmt"

// replicaState is how the leader is sending to one follower.
type replicaState uint8

const (
	// probeState: the leader does not know where the follower's log
	// matches; it sends one MsgApp and waits for the answer (or a heartbeat
	// response) before sending another.
	probeState replicaState = iota + 1
	// replicateState: the follower's log matches up to Match; the leader
	// streams entries, optimistically advancing Next, with at most
	// MaxInflightMsgs MsgApps unacknowledged.
	replicateState
	// snapshotState: the follower needs entries the leader has compacted
	// away; the leader sends it its snapshot (transfer.go) and no entries
	// until the follower has installed it.
	snapshotState
)

func (s replicaState) String() string {
	switch s {
	case probeState:
		return "probe"
	case replicateState:
		return "replicate"
	case snapshotState:
		return "snapshot"
	}
	return fmt.Sprintf("replicaState(%d)", uint8(s))
}

// progress is the leader's view of one member (§5.3: nextIndex,
// matchIndex), voter or learner.
type progress struct {
	id NodeID
	// role is the member's part in the configuration: which voter halves
	// count its acknowledgements and votes, or none for a learner.
	role memberRole
	// Invariant: match < next.
	match, next Index
	state       replicaState
	// probeSent pauses a probing follower until it answers.
	probeSent bool
	// inflight holds the last index of each unacknowledged MsgApp, oldest
	// first, in replicate state.
	inflight inflights
	// recentActive is set by any message from the follower and cleared by
	// each CheckQuorum round.
	recentActive bool
	// ackedRound is the highest heartbeat round the follower answered.
	ackedRound uint64
	// sentCommit is the commit index last sent in a MsgApp, so an idle
	// follower gets one empty MsgApp per commit advance, not one per Ready.
	sentCommit Index
	// resend asks for a MsgApp even if there is nothing new to send: the
	// follower is alive but behind, and what was sent may be lost.
	resend bool
	// snap is the snapshot transfer in snapshotState. Its round survives
	// the transfer, so that answers to an earlier one are told apart.
	snap snapshotSend
}

func (p *progress) String() string {
	return fmt.Sprintf("%d: %s match=%d next=%d inflight=%d", p.id, p.state, p.match, p.next, p.inflight.count)
}

func (p *progress) becomeProbe() {
	p.endSnapshot()
	p.state = probeState
	p.probeSent = false
	p.inflight.reset()
	p.next = p.match + 1
}

func (p *progress) becomeReplicate() {
	p.endSnapshot()
	p.state = replicateState
	p.probeSent = false
	p.inflight.reset()
	p.next = p.match + 1
}

// endSnapshot drops the transfer's reference to the snapshot, so that an
// old snapshot's data is freed once no transfer needs it.
func (p *progress) endSnapshot() { p.snap.snap = nil }

// paused reports whether the leader must not send this follower another
// MsgApp now.
func (p *progress) paused() bool {
	switch p.state {
	case probeState:
		return p.probeSent
	case replicateState:
		return p.inflight.full()
	case snapshotState:
		return true // chunks have their own window (transfer.go)
	}
	panic(fmt.Sprintf("raft: progress of %d in invalid state %d", p.id, p.state))
}

// sentEntries records a MsgApp whose entries end at last.
func (p *progress) sentEntries(last Index, n int) {
	switch p.state {
	case replicateState:
		if n > 0 {
			p.inflight.add(last)
			p.next = last + 1
		}
	case probeState:
		p.probeSent = true
	}
}

// maybeUpdate records that the follower's log matches through n. It
// returns false for a stale acknowledgement.
func (p *progress) maybeUpdate(n Index) bool {
	if n <= p.match {
		return false
	}
	p.match = n
	p.next = max(p.next, n+1)
	p.probeSent = false
	p.inflight.freeTo(n)
	return true
}

// inflights is a bounded FIFO of MsgApp last indexes.
type inflights struct {
	buf   []Index
	start int
	count int
}

func newInflights(size int) inflights { return inflights{buf: make([]Index, size)} }

func (in *inflights) full() bool { return in.count == len(in.buf) }

func (in *inflights) reset() { in.start, in.count = 0, 0 }

func (in *inflights) add(last Index) {
	if in.full() {
		panic(fmt.Sprintf("raft: adding to a full inflight window of %d", len(in.buf)))
	}
	in.buf[(in.start+in.count)%len(in.buf)] = last
	in.count++
}

// freeFirst releases the oldest in-flight MsgApp, presumed lost.
func (in *inflights) freeFirst() {
	if in.count > 0 {
		in.start = (in.start + 1) % len(in.buf)
		in.count--
	}
}

// freeTo releases every in-flight MsgApp acknowledged by an ack of to.
func (in *inflights) freeTo(to Index) {
	for in.count > 0 && in.buf[in.start] <= to {
		in.start = (in.start + 1) % len(in.buf)
		in.count--
	}
}
