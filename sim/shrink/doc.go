// Package shrink minimizes a failing simulation: it searches for a
// smaller configuration - fewer fault actions, fewer clients, fewer nodes,
// a shorter run, a simpler network - that still fails in the same way, so
// that a failure found by fuzzing becomes small enough to read.
//
// The search is greedy delta debugging (Zeller's ddmin over the timeline,
// then one simplification at a time over the rest), re-running the
// simulator for every candidate. Runs are deterministic, so a candidate
// that fails once fails every time; the result replays exactly.
//
// Usage:
//
//	small, stats := shrink.Minimize(cfg, res.Failures[0], shrink.Options{MaxRuns: 300})
//	fmt.Println(stats) // "actions 14 -> 3, ops 9120 -> 310, virtual 20s -> 4.2s (87 runs)"
package shrink
