// Package replica assembles one running node of a real cluster: the
// durable log (raft/filestore), the peer transport (raft/transport), the
// node runtime (raft/server) and the Redis-protocol front end
// (raft/resp). It is what `raftsim serve` runs, and what tests start
// in-process.
//
// Stop is the clean shutdown (SIGTERM): clients are disconnected, the
// node's loop ends, and the store is synced and closed. Start on the same
// directory resumes with the term, vote, log and state machine intact.
//
//	r, err := replica.Start(replica.Config{ClusterID: 1, ID: 1, Dir: dir,
//		Peers: map[raft.NodeID]string{1: "127.0.0.1:7001", 2: "127.0.0.1:7002", 3: "127.0.0.1:7003"},
//		ClientAddr: "127.0.0.1:6001"})
//	defer r.Stop()
package replica
