// Package faultproxy is a fault-injecting TCP proxy for the peer links
// of a real cluster on loopback, the live counterpart of netsim. Each
// link (an ordered pair of nodes, dialer first) gets its own listener;
// the dialer is told to reach its peer there, and the proxy relays to the
// peer's real address. It relays whole frames of raft/transport's format,
// so it can drop, in either direction or both, or delay each frame
// without ever corrupting the stream: to the nodes, a dropped frame is
// a lost batch of messages, as Raft expects of a network.
//
// Faults per direction (SetDirection): drop everything (a partition; one
// way if only one direction is cut) and a delay added to every frame
// (kept in order; at most maxQueued frames wait, more are dropped).
// Counters tell how many frames each direction relayed and dropped.
//
//	p := faultproxy.New()
//	addr, err := p.AddLink(1, 2, "127.0.0.1:7002") // node 1 dials addr to reach node 2
//	p.SetDirection(1, 2, faultproxy.Fault{Drop: true}) // 1 -> 2 cut, 2 -> 1 still flows
//	defer p.Close()
package faultproxy
