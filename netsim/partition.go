package netsim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/raftsim/raftsim/raft"
)

// ErrBadTopology is returned for a partition that names a node twice or
// leaves a side empty.
var ErrBadTopology = errors.New("netsim: bad topology")

// Connectivity is a set of cut directed links. Every fault below adds cuts
// to the set, so faults compose (an isolated node stays isolated through a
// later Partition); Connect, Rejoin and Heal remove them. To replace one
// partition by another, Heal first.

// Cut cuts the directed link from -> to only: a one-way (asymmetric)
// partition. Messages from to to from still pass.
func (n *Network) Cut(from, to raft.NodeID) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: Cut: %w", err)
	}
	l.cut, l.cutBy = true, DropCut
	return nil
}

// Connect removes the cut on from -> to, if any.
func (n *Network) Connect(from, to raft.NodeID) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: Connect: %w", err)
	}
	l.cut = false
	return nil
}

// Isolate cuts every link to and from node.
func (n *Network) Isolate(node raft.NodeID) error {
	return n.setNodeCut("Isolate", node, true)
}

// Rejoin removes every cut to and from node; other cuts stay.
func (n *Network) Rejoin(node raft.NodeID) error {
	return n.setNodeCut("Rejoin", node, false)
}

func (n *Network) setNodeCut(op string, node raft.NodeID, cut bool) error {
	p := n.pos(node)
	if p < 0 {
		return fmt.Errorf("netsim: %s: %w: %d", op, ErrUnknownNode, node)
	}
	size := len(n.ids)
	for q := range size {
		if q != p {
			n.links[p*size+q].cut, n.links[p*size+q].cutBy = cut, DropPartition
			n.links[q*size+p].cut, n.links[q*size+p].cutBy = cut, DropPartition
		}
	}
	return nil
}

// Partition splits the nodes into groups that cannot reach each other, in
// either direction. A node in no group is isolated from every other node:
// listing the majority side alone, Partition({1, 2, 3}), isolates 4 and 5
// from everyone, each other included.
func (n *Network) Partition(groups ...[]raft.NodeID) error {
	group, err := n.groupOf("Partition", groups...)
	if err != nil {
		return err
	}
	size := len(n.ids)
	for p := range size {
		for q := range size {
			if p != q && (group[p] < 0 || group[p] != group[q]) {
				n.links[p*size+q].cut, n.links[p*size+q].cutBy = true, DropPartition
			}
		}
	}
	return nil
}

// Bridge cuts sideA from sideB in both directions while bridge stays
// connected to both: the topology in which a node can be elected by one
// side and keep the other side's leader from hearing about it. Nodes in
// neither side, and the bridge, keep their links.
func (n *Network) Bridge(bridge raft.NodeID, sideA, sideB []raft.NodeID) error {
	if len(sideA) == 0 || len(sideB) == 0 {
		return fmt.Errorf("netsim: Bridge: %w: a side is empty", ErrBadTopology)
	}
	group, err := n.groupOf("Bridge", []raft.NodeID{bridge}, sideA, sideB)
	if err != nil {
		return err
	}
	size := len(n.ids)
	for p := range size {
		for q := range size {
			if (group[p] == 1 && group[q] == 2) || (group[p] == 2 && group[q] == 1) {
				n.links[p*size+q].cut, n.links[p*size+q].cutBy = true, DropPartition
			}
		}
	}
	return nil
}

// groupOf maps each position to the index of its group, or -1, checking
// that every node is known and listed once.
func (n *Network) groupOf(op string, groups ...[]raft.NodeID) ([]int, error) {
	group := make([]int, len(n.ids))
	for i := range group {
		group[i] = -1
	}
	for g, members := range groups {
		if len(members) == 0 {
			return nil, fmt.Errorf("netsim: %s: %w: group %d is empty", op, ErrBadTopology, g)
		}
		for _, id := range members {
			p := n.pos(id)
			if p < 0 {
				return nil, fmt.Errorf("netsim: %s: %w: %d", op, ErrUnknownNode, id)
			}
			if group[p] >= 0 {
				return nil, fmt.Errorf("netsim: %s: %w: node %d listed twice", op, ErrBadTopology, id)
			}
			group[p] = g
		}
	}
	return group, nil
}

// Clog makes the link from -> to hold every copy that arrives on it, in
// arrival order, until Unclog or Heal. Sending is not affected.
func (n *Network) Clog(from, to raft.NodeID) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: Clog: %w", err)
	}
	l.clogged = true
	return nil
}

// Released is a held copy handed back by Unclog or Heal. The simulator
// delivers it at once, in the order given.
type Released struct {
	From, To raft.NodeID
	Kind     raft.MessageType
	ID       uint64
}

// Unclog stops holding on from -> to and returns the held copies, oldest
// first. If the link is cut at that moment they are dropped instead
// (counted in DroppedInFlight) and none is returned, just as they would be
// had they arrived now.
func (n *Network) Unclog(from, to raft.NodeID) ([]Released, error) {
	l, err := n.lookup(from, to)
	if err != nil {
		return nil, fmt.Errorf("netsim: Unclog: %w", err)
	}
	var out []Released
	if !l.cut && len(l.held) > 0 {
		out = make([]Released, 0, len(l.held))
	}
	n.release(l, func(h heldMsg) {
		out = append(out, Released{From: from, To: to, Kind: h.kind, ID: h.id})
	})
	return out, nil
}

// heldKeepMax is the largest hold queue whose memory a link keeps for reuse
// after a release; a larger one is given back to the garbage collector.
const heldKeepMax = 4096

// release unclogs l and empties its queue, counting each copy as delivered
// or, if l is cut, dropped. It calls emit for each copy to deliver, oldest
// first.
func (n *Network) release(l *link, emit func(heldMsg)) {
	for _, h := range l.held {
		c := l.counter(h.kind)
		if c.Pending == 0 {
			panic(fmt.Sprintf("netsim: releasing message %d of kind %v with no pending count", h.id, h.kind))
		}
		c.Pending--
		if l.cut {
			c.DroppedInFlight++
			continue
		}
		c.Released++
		c.Delivered++
		emit(h)
	}
	l.clogged = false
	if cap(l.held) <= heldKeepMax {
		l.held = l.held[:0]
	} else {
		l.held = nil
	}
}

// Heal removes every cut and clog and returns all held copies in the order
// they arrived, across links, for the simulator to deliver now.
func (n *Network) Heal() []Released {
	type ordered struct {
		seq uint64
		r   Released
	}
	pending := 0
	for i := range n.links {
		pending += len(n.links[i].held)
	}
	if pending == 0 {
		for i := range n.links {
			n.links[i].cut, n.links[i].clogged = false, false
		}
		return nil
	}
	all := make([]ordered, 0, pending)
	size := len(n.ids)
	for i := range n.links {
		l := &n.links[i]
		l.cut = false
		from, to := n.ids[i/size], n.ids[i%size]
		n.release(l, func(h heldMsg) {
			all = append(all, ordered{seq: h.seq, r: Released{From: from, To: to, Kind: h.kind, ID: h.id}})
		})
	}
	// Hold sequence numbers are unique, so the order is total.
	slices.SortFunc(all, func(a, b ordered) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]Released, len(all))
	for i, o := range all {
		out[i] = o.r
	}
	return out
}

// Connected reports whether from -> to is not cut. Unknown nodes are
// reported as not connected.
func (n *Network) Connected(from, to raft.NodeID) bool {
	l, err := n.lookup(from, to)
	return err == nil && !l.cut
}

// Clogged reports whether from -> to is clogged.
func (n *Network) Clogged(from, to raft.NodeID) bool {
	l, err := n.lookup(from, to)
	return err == nil && l.clogged
}

// Held returns the number of copies held on from -> to.
func (n *Network) Held(from, to raft.NodeID) int {
	l, err := n.lookup(from, to)
	if err != nil {
		return 0
	}
	return len(l.held)
}

// Topology describes the cuts and clogs in a fixed order, for traces:
// "cut 1->2 1->3; clogged 2->3(held 4)", or "connected".
func (n *Network) Topology() string {
	var cuts, clogs []string
	size := len(n.ids)
	for i := range n.links {
		l := &n.links[i]
		name := fmt.Sprintf("%d->%d", n.ids[i/size], n.ids[i%size])
		if l.cut {
			cuts = append(cuts, name)
		}
		if l.clogged {
			clogs = append(clogs, fmt.Sprintf("%s(held %d)", name, len(l.held)))
		}
	}
	var parts []string
	if len(cuts) > 0 {
		parts = append(parts, "cut "+strings.Join(cuts, " "))
	}
	if len(clogs) > 0 {
		parts = append(parts, "clogged "+strings.Join(clogs, " "))
	}
	if len(parts) == 0 {
		return "connected"
	}
	return strings.Join(parts, "; ")
}
