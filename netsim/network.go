package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/raftsim/raftsim/clock"
	"github.com/raftsim/raftsim/raft"
)

// ErrUnknownNode is returned when an operation names a node the network was
// not created with.
var ErrUnknownNode = errors.New("netsim: unknown node")

// ErrBadNodes is returned by New for an unusable node list or source.
var ErrBadNodes = errors.New("netsim: bad node list")

// HeldMax bounds the messages a clogged link holds. Arrivals beyond it are
// dropped and counted in DroppedOverflow, so a clog left on by mistake
// costs bounded memory and is visible in the counters.
const HeldMax = 1 << 16

// denseIDLimit is the largest node ID for which positions are found by
// direct indexing; larger IDs use a binary search over the sorted IDs.
const denseIDLimit = 1 << 12

// Fate is what happens to a copy when it reaches its destination.
type Fate uint8

// Fates start at 1 so that the zero Fate is invalid.
const (
	// FateDeliver: hand the message to the receiver now.
	FateDeliver Fate = iota + 1
	// FateDrop: the message is gone (the link is cut, or its hold queue is
	// full).
	FateDrop
	// FateHold: the link is clogged; the network keeps the message's id and
	// returns it from Unclog or Heal, when the simulator delivers it.
	FateHold
)

func (f Fate) String() string {
	switch f {
	case FateDeliver:
		return "deliver"
	case FateDrop:
		return "drop"
	case FateHold:
		return "hold"
	}
	return fmt.Sprintf("Fate(%d)", uint8(f))
}

// heldMsg is a copy waiting on a clogged link.
type heldMsg struct {
	id   uint64
	kind raft.MessageType
	// seq orders holds across links, so Heal releases in arrival order.
	seq uint64
}

// link is the state of one directed link.
type link struct {
	cfg LinkConfig
	// overridden is set when cfg came from SetLink rather than the default.
	overridden bool
	// cut drops every message sent, and every copy arriving, while set.
	cut bool
	// cutBy is why the link is cut (DropCut for a one-way cut,
	// DropPartition for a partition, isolation or bridge); meaningful
	// only while cut is set. The latest fault to cut the link names it.
	cutBy DropReason
	// clogged holds every copy arriving while set.
	clogged bool
	// held is the FIFO of held copies, oldest first.
	// Invariant: len(held) <= HeldMax; held is empty when !clogged.
	held []heldMsg
	// counts is indexed by message kind and grows to the largest seen.
	counts []Counters
	// busyUntil is when the link has sent every byte handed to it, with a
	// bandwidth; messages sent before then wait their turn.
	busyUntil clock.Time
	// kinds, when not nil, holds per message kind a setting that
	// overrides cfg for messages of that kind (SetLinkKind).
	kinds []kindLink
}

// Network decides the fate of every message between a fixed set of nodes.
// It owns no queue of messages in flight: the caller (the simulator's event
// queue) does, and asks the network at send time and at arrival time.
type Network struct {
	// ids are the nodes, sorted; a node's position is its index.
	ids []raft.NodeID
	// posByID maps a small node ID to its position, or -1; nil when some
	// ID is too large to index directly.
	posByID []int32
	// links is indexed by from*len(ids)+to (positions).
	links    []link
	defaults LinkConfig
	rng      *rand.Rand
	// now is the latest time seen by Send or Arrive.
	// Invariant: never decreases.
	now clock.Time
	// holdSeq numbers held copies across all links.
	holdSeq uint64
	// arrivals backs the slice Send returns.
	arrivals [CopiesMax]clock.Time
	// lastDrop is why the latest message Send or Arrive dropped was
	// dropped; see LastDrop.
	lastDrop DropReason
}

// DropReason says why the network dropped a message.
type DropReason uint8

const (
	// DropLoss: the link's loss chance lost it.
	DropLoss DropReason = iota + 1
	// DropCut: a one-way cut of the link (Cut).
	DropCut
	// DropPartition: a partition, an isolation or a bridge cut the link.
	DropPartition
	// DropOverflow: the link was clogged and its hold queue full.
	DropOverflow
)

func (r DropReason) String() string {
	switch r {
	case DropLoss:
		return "loss"
	case DropCut:
		return "cut link"
	case DropPartition:
		return "partition"
	case DropOverflow:
		return "clog overflow"
	}
	return fmt.Sprintf("DropReason(%d)", uint8(r))
}

// LastDrop returns why the latest message that Send lost or Arrive
// dropped was dropped (zero before any drop). Call it right after the
// Send that returned no arrival, or the Arrive that returned FateDrop.
func (n *Network) LastDrop() DropReason { return n.lastDrop }

// New returns a fully connected network over nodes, each link configured
// by defaults. Every node that may ever join the cluster must be listed:
// the node set is fixed for the life of the network. rng is the network's
// own stream; every draw comes from it.
func New(nodes []raft.NodeID, rng *rand.Rand, defaults LinkConfig) (*Network, error) {
	if rng == nil {
		return nil, fmt.Errorf("%w: nil rand source", ErrBadNodes)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%w: no nodes", ErrBadNodes)
	}
	if err := defaults.Validate(); err != nil {
		return nil, fmt.Errorf("netsim: defaults: %w", err)
	}
	ids := slices.Clone(nodes)
	slices.Sort(ids)
	for i, id := range ids {
		if id == raft.None {
			return nil, fmt.Errorf("%w: node ID 0 is None", ErrBadNodes)
		}
		if i > 0 && ids[i-1] == id {
			return nil, fmt.Errorf("%w: node %d listed twice", ErrBadNodes, id)
		}
	}
	n := &Network{ids: ids, rng: rng, defaults: defaults}
	if maxID := ids[len(ids)-1]; maxID <= denseIDLimit {
		n.posByID = make([]int32, maxID+1)
		for i := range n.posByID {
			n.posByID[i] = -1
		}
		for i, id := range ids {
			n.posByID[id] = int32(i)
		}
	}
	n.links = make([]link, len(ids)*len(ids))
	for i := range n.links {
		n.links[i] = link{cfg: defaults, counts: make([]Counters, raft.NumMessageTypes)}
	}
	return n, nil
}

// Nodes returns the network's nodes in ascending order.
func (n *Network) Nodes() []raft.NodeID { return slices.Clone(n.ids) }

// pos returns the position of id, or -1.
func (n *Network) pos(id raft.NodeID) int {
	if n.posByID != nil {
		if id < raft.NodeID(len(n.posByID)) {
			return int(n.posByID[id])
		}
		return -1
	}
	if i, ok := slices.BinarySearch(n.ids, id); ok {
		return i
	}
	return -1
}

// lookup returns the link from -> to, or an error naming the bad node.
func (n *Network) lookup(from, to raft.NodeID) (*link, error) {
	f, t := n.pos(from), n.pos(to)
	if f < 0 {
		return nil, fmt.Errorf("%w: %d", ErrUnknownNode, from)
	}
	if t < 0 {
		return nil, fmt.Errorf("%w: %d", ErrUnknownNode, to)
	}
	if f == t {
		return nil, fmt.Errorf("netsim: link from node %d to itself", from)
	}
	return &n.links[f*len(n.ids)+t], nil
}

// mustLink is lookup for the hot path, where a bad node is a simulator bug.
// Small IDs take the direct table; anything else, including every error,
// goes through lookup.
func (n *Network) mustLink(op string, from, to raft.NodeID) *link {
	if ids := uint64(len(n.posByID)); uint64(from) < ids && uint64(to) < ids {
		f, t := n.posByID[from], n.posByID[to]
		if f >= 0 && t >= 0 && f != t {
			return &n.links[int(f)*len(n.ids)+int(t)]
		}
	}
	l, err := n.lookup(from, to)
	if err != nil {
		panic(fmt.Sprintf("netsim: %s %d->%d: %v", op, from, to, err))
	}
	return l
}

// advance records now, asserting that virtual time does not run backwards.
func (n *Network) advance(op string, now clock.Time) {
	if now < n.now {
		panic(fmt.Sprintf("netsim: %s at %v, before the previous call at %v", op, now, n.now))
	}
	n.now = now
}

// counter returns the counters of kind on l, growing the table on the first
// use of a kind beyond the Raft message types.
func (l *link) counter(kind raft.MessageType) *Counters {
	if int(kind) >= len(l.counts) {
		l.counts = append(l.counts, make([]Counters, int(kind)+1-len(l.counts))...)
	}
	return &l.counts[kind]
}

// Send decides the fate of a message sent at now and returns the arrival
// time of each copy: none if it is dropped (the link is cut, or the message
// is lost), one normally, more when it is duplicated. Arrival times are
// never before now.
//
// The returned slice is reused by the next Send; copy it to keep it.
//
// Draws, in order, only when the link is not cut: the loss chance; the
// duplication chance, repeated after each success; then for each copy, its
// delay and its reorder chance and extra delay. A certain chance (0 or 1)
// and a degenerate range draw nothing.
func (n *Network) Send(now clock.Time, from, to raft.NodeID, kind raft.MessageType) []clock.Time {
	return n.SendSized(now, from, to, kind, 0)
}

// SendSized is Send for a message of size bytes: on a link with a
// Bandwidth, it is sent once the link has sent what came before it, and
// takes size/Bandwidth to send, before its delay starts. Every copy
// leaves then. A message that would wait more than BacklogMax is dropped
// (DroppedBacklog); a lost one still takes its time on the link. Size
// draws nothing: the draws are Send's.
func (n *Network) SendSized(now clock.Time, from, to raft.NodeID, kind raft.MessageType, size uint64) []clock.Time {
	l := n.mustLink("Send", from, to)
	n.advance("Send", now)
	c := l.counter(kind)
	c.Sent++
	if l.cut {
		c.DroppedCut++
		n.lastDrop = l.cutBy
		return nil
	}
	depart := now
	if bw := l.cfg.Bandwidth; bw != 0 && size != 0 {
		start := max(now, l.busyUntil)
		if start.Sub(now) > BacklogMax {
			c.DroppedBacklog++
			return nil
		}
		l.busyUntil = start.Add(transmitTime(size, bw))
		depart = l.busyUntil
	}
	// The IsZero tests skip calls that would draw nothing anyway; they
	// save time on the common fault-free link without changing any draw.
	cfg := l.config(kind)
	if !cfg.Loss.IsZero() && cfg.Loss.Chance(n.rng) {
		c.DroppedLoss++
		n.lastDrop = DropLoss
		return nil
	}
	copies := 1
	for !cfg.Duplicate.IsZero() && copies < CopiesMax && cfg.Duplicate.Chance(n.rng) {
		copies++
	}
	c.Duplicated += uint64(copies - 1)
	for i := range copies {
		d := cfg.Delay.draw(n.rng)
		if !cfg.Reorder.Ratio.IsZero() {
			d += cfg.Reorder.extra(n.rng)
		}
		n.arrivals[i] = depart.Add(d)
	}
	return n.arrivals[:copies]
}

// Arrive decides the fate of a copy reaching its destination at now: drop
// it if the link is cut now (so a partition that starts while a message is
// in flight drops it), hold it if the link is clogged, else deliver it. id
// is the caller's opaque handle, returned by Unclog or Heal for held
// copies. Arrive draws nothing.
func (n *Network) Arrive(now clock.Time, from, to raft.NodeID, kind raft.MessageType, id uint64) Fate {
	l := n.mustLink("Arrive", from, to)
	n.advance("Arrive", now)
	c := l.counter(kind)
	if l.cut {
		c.DroppedInFlight++
		n.lastDrop = l.cutBy
		return FateDrop
	}
	if l.clogged {
		if len(l.held) >= HeldMax {
			c.DroppedOverflow++
			n.lastDrop = DropOverflow
			return FateDrop
		}
		n.holdSeq++
		l.held = append(l.held, heldMsg{id: id, kind: kind, seq: n.holdSeq})
		c.Held++
		c.Pending++
		return FateHold
	}
	if len(l.held) != 0 {
		panic(fmt.Sprintf("netsim: link %d->%d is not clogged but holds %d messages", from, to, len(l.held)))
	}
	c.Delivered++
	return FateDeliver
}

// SetDefault replaces the configuration of every link without an override.
func (n *Network) SetDefault(cfg LinkConfig) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("netsim: SetDefault: %w", err)
	}
	n.defaults = cfg
	for i := range n.links {
		if !n.links[i].overridden {
			n.links[i].cfg = cfg
		}
	}
	return nil
}

// SetLink overrides the configuration of the directed link from -> to; it
// keeps it through later SetDefault calls until ResetLink.
func (n *Network) SetLink(from, to raft.NodeID, cfg LinkConfig) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: SetLink: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("netsim: SetLink %d->%d: %w", from, to, err)
	}
	l.cfg, l.overridden = cfg, true
	return nil
}

// ResetLink returns the link from -> to to the default configuration.
func (n *Network) ResetLink(from, to raft.NodeID) error {
	l, err := n.lookup(from, to)
	if err != nil {
		return fmt.Errorf("netsim: ResetLink: %w", err)
	}
	l.cfg, l.overridden, l.kinds = n.defaults, false, nil
	return nil
}

// Link returns the configuration in force on from -> to.
func (n *Network) Link(from, to raft.NodeID) (LinkConfig, error) {
	l, err := n.lookup(from, to)
	if err != nil {
		return LinkConfig{}, fmt.Errorf("netsim: Link: %w", err)
	}
	return l.cfg, nil
}
