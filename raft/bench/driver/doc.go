// Package driver is the workload shared by the Raft benchmarks in
// raft/bench (ours and etcd v3.7.0) and raft/bench/etcd36 (etcd v3.6.0).
//
// It lives in a module of its own, with no dependencies, because two
// versions of go.etcd.io/raft/v3 cannot share a build: each benchmark
// module pins one etcd version and imports this one, so every
// implementation runs the same loop and differs only in its Cluster.
//
// The loop, per round: the leader proposes a batch of commands; then,
// until the leader has applied them, every node in ID order handles its
// Ready (persist, queue its messages, apply, Advance), and the queued
// messages are delivered in the order they were queued. Nothing ticks
// after the election, so no heartbeat or timeout interferes.
//
// Usage, from a benchmark:
//
//	func BenchmarkX(b *testing.B) { driver.Suite(b, newXCluster, driver.Modes) }
//	func TestX(t *testing.T)       { driver.Check(t, newXCluster, driver.Modes) }
package driver
