package sim

import "github.com/raftsim/raftsim/clock"

// eventKind names what an event does when its time comes.
type eventKind uint8

const (
	evTick          eventKind = iota + 1 // a node's tick timer
	evDeliver                            // a message arrives at a node
	evSyncDone                           // a node's disk sync completes
	evClientSend                         // a client request arrives at a node
	evClientReply                        // a node's reply arrives at a client
	evClientStart                        // a client starts its next operation
	evClientTimeout                      // a client's attempt times out
	evAction                             // a scheduled fault action
	evPhase                              // the healing phase begins or a liveness bound expires
	evChurn                              // the crash-new-leaders nemesis acts
	evWait                               // a timeline wait runs out of time
	evCheck                              // a check's window opens or closes
	evSnapNemesis                        // a snapshot nemesis acts
	evSleep                              // a timeline sleep ends
	evPropRetry                          // a scenario proposal is tried again
	evProbe                              // Config.Probe samples the run
	evApply                              // a node's state machine applies entries (Disk.ApplyLag)
	evMembership                         // a membership action's retry or deadline
	evDiskRestart                        // a node stopped by a storage error starts again
	evDiskSpace                          // a node's full disk gets space back
)

// event is one entry of the queue. It stays small: payloads that are
// large (messages, requests) live in slabs and are named by index.
type event struct {
	at   clock.Time
	seq  uint64 // tie-break: events at one time run in scheduling order
	kind eventKind
	node int    // node position, or client position for client events
	inc  uint32 // the node's incarnation (or the client's attempt) it was scheduled for
	ref  uint64 // slab index or action index
}

func (a *event) before(b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// eventQueue is a binary min-heap ordered by (time, sequence number): a
// total order, so runs repeat exactly.
type eventQueue struct {
	heap []event
	seq  uint64
}

func (q *eventQueue) len() int { return len(q.heap) }

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.heap = append(q.heap, e)
	h := q.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	h := q.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	q.heap = h
	return top
}

// slab stores values named by a reusable index.
type slab[T any] struct {
	items []T
	free  []uint64
}

func (s *slab[T]) put(v T) uint64 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		s.items[i] = v
		return i
	}
	s.items = append(s.items, v)
	return uint64(len(s.items) - 1)
}

func (s *slab[T]) take(i uint64) T {
	v := s.items[i]
	var zero T
	s.items[i] = zero
	s.free = append(s.free, i)
	return v
}
