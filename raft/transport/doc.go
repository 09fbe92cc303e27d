// Package transport carries raft messages between the nodes of a real
// cluster over TCP. It is a runtime package: it starts goroutines and
// reads the clock, and is never used by the simulator, which has its own
// network (netsim).
//
// # Connections
//
// Each pair of nodes shares one TCP connection, dialed by the node with
// the lower ID and used in both directions. The dialer sends a hello
// frame (cluster ID, its node ID, the ID it means to reach, its client
// address); the acceptor answers with a welcome (its own client address)
// or a refusal naming the reason: another cluster, a node that is not a
// member, a hello addressed to another node, or a dialer with the higher
// ID. A connection that fails is dropped; the dialer tries again with
// exponential backoff (Config.BackoffMin to BackoffMax), and a new
// connection from a peer replaces the old one.
//
// # Frames
//
// Everything on a connection is a frame:
//
//	length  uint32  payload bytes, little endian (at most MaxPayloadBytes)
//	version uint8   Version (1)
//	kind    uint8   hello, welcome, refuse or messages
//	crc     uint32  CRC-32C of version, kind and payload
//	payload [length]byte
//
// A messages payload is a count and then the messages (see codec.go);
// the writer puts every message waiting in a peer's queue, up to
// Config.BatchBytes, into one frame and one write. The reader checks the
// length against its limit before it allocates, the checksum, and every
// count inside against the bytes that remain, so arbitrary bytes give an
// error wrapping ErrFrame, never a panic or an allocation much larger
// than the frame (FuzzReadFrame). Each message must come from the peer of
// its connection and be addressed to this node; otherwise the connection
// is closed.
//
// # Never blocking the node
//
// Send never waits: each peer has a bounded queue, and a message that
// does not fit, or whose turn comes while the peer is disconnected, is
// dropped and counted (Stats). Raft treats the network as lossy and
// retransmits what matters, so a slow or dead peer costs messages, never
// the node's progress with the others.
//
// # Usage
//
//	ln, _ := net.Listen("tcp", "127.0.0.1:0")
//	t, err := transport.New(transport.Config{ClusterID: 7, ID: 1, Listener: ln,
//		Peers: map[raft.NodeID]string{2: "127.0.0.1:7002", 3: "127.0.0.1:7003"}})
//	t.Start(ctx)
//	defer t.Close()
//	t.Send(rd.Messages)          // after the Ready's writes are durable
//	for msgs := range t.Recv() { // in the node's loop
//		for _, m := range msgs { node.Step(m) }
//	}
package transport
