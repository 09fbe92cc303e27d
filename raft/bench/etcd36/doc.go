// Package etcd36 benchmarks etcd's raft v3.6.0 under the workload of
// raft/bench/driver. It is a module of its own because the parent
// raft/bench module pins etcd v3.7.0 and a build holds one version of a
// module. raft/bench/run.sh runs it alongside the others.
package etcd36
