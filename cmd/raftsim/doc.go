// Command raftsim is the command line of the raftsim testbed.
//
//	raftsim run [--scenario NAME|FILE] [--seed N]   run a scenario (default: the demo)
//	raftsim run --scenario S --seeds N|A..B         run it over many seeds, every core
//	raftsim replay FILE                             rerun a reproducer; confirm digest and verdict
//	raftsim fuzz [--seeds N|A..B] [--shard i/n] ... run generated scenarios in parallel
//	             [--disk-faults always]           every seed on the file store, with disk faults
//	raftsim fuzz merge A.json B.json ...            merge shard summaries
//	raftsim list                                    the built-in scenarios
//	raftsim show NAME|FILE                          print a scenario file
//	raftsim check FILE                              check a history for linearizability
//	raftsim version                                 the version, and VCS details when built from git
//	raftsim completion bash|zsh|fish|powershell     shell completion
//
// Shared flags, only on the commands that act on them: --json (a
// machine-readable summary on stdout, described by schema/NAME.v1.json),
// --trace FILE|- (the canonical trace as JSON lines; run and replay), -v.
//
// Exit status: 0 pass (for replay: the recorded failure reproduced); 1 a
// failure found (for run, also when a scenario that expects a failure did
// not find it; the summary says whether a failure was expected); 2 a usage
// or input error (bad flags, a bad scenario or history file), reported as
// "FILE:LINE: FIELD: message" where a file is at fault.
//
// This is the only package of the module that reads the wall clock (to
// report how long things took) and starts goroutines (fuzz workers, one
// sim.Run each); no result depends on either: fuzz reports in seed order.
package main
