//go:build unix

package driver

import (
	"syscall"
	"time"
)

// processCPU is the CPU time, user and system, that the whole process has
// used: the benchmark goroutine and the garbage collector's workers. On a
// machine shared with other work it measures the cost of a commit where
// wall time would also count the time spent waiting for a core.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
