// Package bugs switches planted Raft bugs on, to prove that raftsim's
// checks find them. It exists for `raftsim selftest`.
//
// In normal builds On is a constant false: every `if bugs.On(...)` branch
// is dead code the compiler removes, so the shipped binary carries no
// trace of the bugs and pays nothing for them. Only a build with the
// `raftbugs` tag can switch one on (see catalog.go), and then only one
// bug at a time, for the whole process: the selftest runs one bug's
// campaign at a time.
package bugs
