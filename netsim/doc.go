// Package netsim is the simulated network: a seeded model that decides the
// fate of every message between a fixed set of nodes, and the faults that
// change those fates during a run.
//
// The simulator owns the only event queue. netsim keeps no messages in
// flight; it is asked twice about each one:
//
//   - Send, at send time, returns the arrival time of each copy: none if the
//     link is cut or the message is lost, one normally, up to CopiesMax
//     when it is duplicated (each copy has its own delay, so copies arrive
//     apart and out of order). The simulator enqueues one arrival per copy.
//   - Arrive, at arrival time, returns FateDeliver, FateDrop (the link is
//     cut now: a partition that starts while a message is in flight drops
//     it) or FateHold (the link is clogged: netsim keeps the caller's opaque
//     id and hands it back from Unclog or Heal, oldest first, for the
//     simulator to deliver at that moment).
//   - After a drop, LastDrop says why: loss, a one-way cut ("cut link"), a
//     partition (isolation and bridges included) or a full hold queue.
//
// Each directed link has a LinkConfig (a delay model, loss, duplication,
// reordering, as integer Ratios, and a bandwidth), from a default or a
// per-link override, and may carry a setting for one message kind that
// overrides it for that kind (SetLinkKind: delay or drop only replies).
// With a bandwidth, SendSized charges a message by its size: it leaves
// once the link has sent what came before it, so a big snapshot chunk
// takes real virtual time and delays what follows, and a message that
// would wait more than BacklogMax is dropped;
// faults are one-way cuts, isolation, group partitions, a bridge node, and
// clogs. All of them can change at any virtual time and apply to calls made
// after the change.
//
// # Invariants
//
//   - Determinism: every random draw comes from the *rand.Rand given to New,
//     in a fixed order documented on Send; Arrive, Unclog, Heal and the
//     configuration calls draw nothing. Nothing iterates a map. So the
//     decisions are a pure function of the seed and the sequence of calls.
//   - Accounting: for every link and kind, Sent + Duplicated == Delivered +
//     Dropped() + Pending + copies in flight (see Counters).
//   - Time: Send and Arrive take the current virtual time, which must never
//     decrease; arrival times are never before the send time.
//   - Bounds: at most CopiesMax copies per message, delays at most
//     DelayLimit (plus a reorder window of at most DelayLimit), at most
//     HeldMax held copies per link (the rest are dropped and counted).
//   - Misuse from code (an unknown node or a self-link in Send or Arrive,
//     time running backwards) panics with the values; misuse from
//     configuration (scenario input) returns errors wrapping ErrBadConfig,
//     ErrBadRatio, ErrBadDelay, ErrUnknownNode or ErrBadTopology.
//
// Send and Arrive do not allocate once each link has seen its message
// kinds; node IDs map to dense positions once, in New.
//
// # Example
//
//	rng := rand.New(rand.NewPCG(seed, streamNetwork))
//	net, err := netsim.New([]raft.NodeID{1, 2, 3}, rng,
//		netsim.Reliable(netsim.Uniform(time.Millisecond, 5*time.Millisecond)))
//
//	// Sending m at virtual time now:
//	for _, at := range net.Send(now, m.From, m.To, m.Type) {
//		queue.Push(arrival{at: at, id: store(m)})
//	}
//	// When an arrival pops:
//	if net.Arrive(now, m.From, m.To, m.Type, ev.id) == netsim.FateDeliver {
//		deliver(m)
//	}
//	// Faults:
//	net.Partition([]raft.NodeID{1}, []raft.NodeID{2, 3})
//	net.Clog(2, 3)
//	for _, r := range net.Heal() {
//		deliver(load(r.ID))
//	}
package netsim
