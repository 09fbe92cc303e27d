package sim

import "github.com/raftsim/raftsim/raft"

// applyEntries hands a Ready's committed entries to the state machine: at
// once, or, with Disk.ApplyLag, that much later. A real server often
// applies on a thread of its own, after the node has moved on; a read
// confirmed at an index the state machine has not reached must then wait
// for it. Without the lag, a read is confirmed only after the Ready that
// committed its index was applied, and that wait is never put to the test.
func (s *Simulator) applyEntries(n *node, ents []raft.Entry) {
	if lag := s.cfg.Disk.ApplyLag; lag > 0 {
		n.applyQueue = append(n.applyQueue, ents...)
		s.schedule(event{at: s.now.Add(lag), kind: evApply, node: n.pos, inc: n.inc, ref: uint64(ents[len(ents)-1].Index)})
		return
	}
	s.applyNow(n, ents)
}

// applyNow applies ents in order.
func (s *Simulator) applyNow(n *node, ents []raft.Entry) {
	for _, e := range ents {
		s.apply(n, e)
		if s.stopped {
			return
		}
	}
	last := ents[len(ents)-1]
	s.dirty = true
	s.trace(TraceEvent{Kind: TraceApply, Node: n.id, Term: last.Term, Index: last.Index, N: uint64(len(ents))})
}

// onApply applies the queued entries up to the event's index, then serves
// the reads waiting for them.
func (s *Simulator) onApply(n *node, e event) {
	if !n.up || e.inc != n.inc {
		return
	}
	if n.paused {
		n.deferred = append(n.deferred, e)
		return
	}
	k := 0
	for k < len(n.applyQueue) && n.applyQueue[k].Index <= raft.Index(e.ref) {
		k++
	}
	if k == 0 {
		return
	}
	s.applyNow(n, n.applyQueue[:k])
	n.applyQueue = append(n.applyQueue[:0], n.applyQueue[k:]...)
	if s.stopped {
		return
	}
	s.serveReads(n)
	s.checkLeader()
}
