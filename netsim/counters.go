package netsim

import "github.com/raftsim/raftsim/raft"

// Counters are the message counts of one directed link and message kind,
// or a sum of them. Every copy is accounted for:
//
//	Sent + Duplicated == Delivered + Dropped() + Pending + (copies in flight)
//
// where the copies in flight are those Send returned and Arrive has not yet
// been called for; only the simulator knows them.
type Counters struct {
	// Sent counts calls to Send.
	Sent uint64
	// Duplicated counts the extra copies made by duplication.
	Duplicated uint64
	// Delivered counts copies handed to the receiver: Arrive returned
	// FateDeliver, or Unclog or Heal released them.
	Delivered uint64
	// DroppedLoss counts messages lost at send by the Loss ratio.
	DroppedLoss uint64
	// DroppedCut counts messages sent on a cut link.
	DroppedCut uint64
	// DroppedInFlight counts copies that found their link cut on arrival,
	// or on release from a clog.
	DroppedInFlight uint64
	// DroppedOverflow counts copies that found their clogged link's queue
	// full (HeldMax).
	DroppedOverflow uint64
	// DroppedBacklog counts messages that would have waited more than
	// BacklogMax for their link's bandwidth.
	DroppedBacklog uint64
	// Held counts copies held on arrival at a clogged link.
	Held uint64
	// Released counts held copies handed back by Unclog or Heal; they are
	// also counted in Delivered.
	Released uint64
	// Pending counts copies held now.
	// Invariant: Held == Released + Pending + (held copies dropped on release).
	Pending uint64
}

// Dropped is the total of every drop reason.
func (c Counters) Dropped() uint64 {
	return c.DroppedLoss + c.DroppedCut + c.DroppedInFlight + c.DroppedOverflow + c.DroppedBacklog
}

// IsZero reports whether nothing was counted.
func (c Counters) IsZero() bool { return c == Counters{} }

// Add adds o to c.
func (c *Counters) Add(o Counters) {
	c.Sent += o.Sent
	c.Duplicated += o.Duplicated
	c.Delivered += o.Delivered
	c.DroppedLoss += o.DroppedLoss
	c.DroppedCut += o.DroppedCut
	c.DroppedInFlight += o.DroppedInFlight
	c.DroppedOverflow += o.DroppedOverflow
	c.DroppedBacklog += o.DroppedBacklog
	c.Held += o.Held
	c.Released += o.Released
	c.Pending += o.Pending
}

// LinkStats are the counters of one directed link and message kind.
type LinkStats struct {
	From, To raft.NodeID
	Kind     raft.MessageType
	Counters
}

// Stats returns the non-zero counters of every link and kind, sorted by
// From, then To, then Kind.
func (n *Network) Stats() []LinkStats {
	var out []LinkStats
	size := len(n.ids)
	for i := range n.links {
		for kind, c := range n.links[i].counts {
			if !c.IsZero() {
				out = append(out, LinkStats{
					From: n.ids[i/size], To: n.ids[i%size], Kind: raft.MessageType(kind), Counters: c,
				})
			}
		}
	}
	return out
}

// Totals returns the sum of the counters of every link and kind.
func (n *Network) Totals() Counters {
	var t Counters
	for i := range n.links {
		for _, c := range n.links[i].counts {
			t.Add(c)
		}
	}
	return t
}

// LinkTotals returns the counters of from -> to summed over kinds; zero for
// unknown nodes.
func (n *Network) LinkTotals(from, to raft.NodeID) Counters {
	var t Counters
	l, err := n.lookup(from, to)
	if err != nil {
		return t
	}
	for _, c := range l.counts {
		t.Add(c)
	}
	return t
}
