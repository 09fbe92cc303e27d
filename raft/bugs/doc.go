// Package bugs switches planted Raft bugs on, to prove that raftsim's
// checks find them. It exists for `raftsim selftest`.
//
// In normal builds On and Fire are constant false: every branch they guard
// is dead code the compiler removes, so the shipped binary carries no
// trace of the bugs and pays nothing for them. Only a build with the
// `raftbugs` tag can switch one on (see catalog.go), and then only one
// bug at a time, for the whole process: the selftest runs one bug's
// campaign at a time.
//
// Each bug site calls Fire where the bug and the correct code part ways,
// so a campaign can say whether a bug it did not find ever acted.
package bugs
