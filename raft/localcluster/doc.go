// Package localcluster runs a cluster of `raftsim serve` processes on
// loopback: it picks free ports, starts the processes with their logs in
// files, and signals them (SIGTERM, SIGKILL, SIGSTOP, SIGCONT) and
// restarts them on their data directories. `raftsim cluster` and
// `raftsim live` use it, and so do the tests of both.
//
// Every process is started in its own process group with a parent-death
// signal (SIGKILL), so a Ctrl-C in the terminal reaches only the parent,
// which stops the children in order, and a parent that dies takes its
// children with it. Close stops every process: SIGCONT for the paused,
// SIGTERM, and SIGKILL for any that has not exited within the grace
// period.
//
//	c, err := localcluster.Start(localcluster.Options{Binary: exe, Nodes: 3, Dir: dir})
//	defer c.Close()
//	lead, err := c.WaitLeader(ctx)
//	c.Signal(lead, syscall.SIGKILL)
//	c.Restart(lead)
package localcluster
