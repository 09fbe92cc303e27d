// Package bench compares raftsim's Raft core with etcd's raft
// (go.etcd.io/raft/v3 v3.7.0) under one workload, in one process.
//
// It is a module of its own so that etcd stays out of raftsim's
// dependency graph; raft/bench/etcd36 is a sibling module for etcd
// v3.6.0, since one build cannot hold two versions of a module. The
// workload is in raft/bench/driver; run.sh runs all three and prints the
// comparison. See README.md.
package bench
