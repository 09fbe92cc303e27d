// Package server runs a raft.Node for real: on a real clock, with a
// durable raft.Storage (raft/filestore), a peer Transport
// (raft/transport) and the raft/kv state machine. It is the runtime
// counterpart of sim/: it drives the node through the same contract
// (persist, send, apply, Advance), so what the simulator checks is what
// the server runs. Like every runtime package it starts goroutines and
// reads the clock; the core stays pure.
//
// # One goroutine owns the node
//
// Run is the only goroutine that touches the node, its storage and its
// state machine. It waits for a tick of a real ticker, a batch of peer
// messages, a proposal or a read, then takes everything else already
// waiting (up to maxDrain inputs) before it asks for a Ready. So the
// proposals of many clients land in one Ready, are written together and
// made durable by one fsync (group commit). Each Ready is carried out in
// order: hard state and entries written, one Sync when the Ready demands
// it, messages sent, committed entries applied, confirmed reads served,
// Advance. Other goroutines reach Run through bounded channels: a full
// queue fails the request at once with ErrBusy instead of blocking.
//
// # Requests
//
// Propose submits a kv.Command and returns once this node applies it,
// with the kv response (plus, for Delete, whether the key existed, and
// for Append, the new length). A proposal pending when the node stops
// leading ends with ErrUnknownOutcome: it may still commit under the
// next leader. One whose log slot another leader's entry took ends with
// ErrOverwritten: it was not applied. Read serves a linearizable read by
// ReadIndex (no log entry): confirmed by a quorum round, answered once the
// state machine has applied the read index. On a follower both return a
// *raft.NotLeaderError naming the leader, for the caller to retry there.
//
// A command may carry its own client ID and sequence number (kv
// sessions): retried with the same pair, it is applied at most once and
// answered with its original response. A command with client ID 0 joins
// the server process's own session, whose ID has the top bit set and 62
// random bits, numbered when the node proposes it; clients that choose
// their own IDs must keep the top bit clear. With Config.Sessions bounded,
// sessions are opened by kv.Register (their IDs are log indexes), a
// command on a session that is gone is answered kv.StatusSessionExpired,
// and a command with client ID 0 is sessionless.
//
// # Membership
//
// ChangeConfig proposes a configuration change at the leader and returns
// once this node applies it, with the configuration it made; the errors
// are those of proposals, plus the core's refusals (a change in flight,
// no entry of the leader's term committed yet, a learner not caught up).
// TransferLeadership starts a leadership transfer. Voters is the initial
// configuration: a node outside it is a spare until a change adds it.
//
// # Restart
//
// New reads the term, vote, snapshot and log from Storage; Run then
// restores the state machine (sessions included) from the snapshot, if
// there is one, and applies the committed log after it before the node
// serves anything, so a clean stop and restart, or a crash and restart,
// resumes with everything that was committed.
//
// # Compaction
//
// After each Ready, the server snapshots the state machine and hands the
// snapshot to the node (Compact) when the policy says so: SnapshotEvery
// entries applied since the latest snapshot (the core's count), or
// SnapshotBytes bytes of commands applied since then, whichever comes
// first. The next Ready stores the snapshot and compacts the Storage
// (raft/filestore writes the snapshot file, then deletes the segments it
// covers), keeping SnapshotKeep entries behind it. A follower that needs
// compacted entries is sent the snapshot; the server stores it and
// resets the state machine from it. The snapshot is made on Run's
// goroutine, so its cost (about 2 ms per 1,000 keys here) delays that
// round's other work.
//
// # Usage
//
//	st, _ := filestore.Open(dir, filestore.Options{})
//	tr, _ := transport.New(transport.Config{ClusterID: 1, ID: 1, Listener: ln, Peers: peers})
//	srv, _ := server.New(server.Config{ID: 1, Voters: []raft.NodeID{1, 2, 3}, Storage: st, Transport: tr})
//	tr.Start(ctx)
//	go srv.Run(ctx) // until ctx ends
//	res, err := srv.Propose(ctx, kv.Put(0, 0, "k", "v"))
//	v, found, err := srv.Read(ctx, "k")
package server
