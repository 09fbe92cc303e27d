//go:build raftbugs

package bugs

import (
	"fmt"
	"sync/atomic"
)

// active is the bug switched on for the whole process. Global state is
// tolerable here only because it exists in selftest builds alone.
var active Bug

// fired counts the times the active bug changed what the correct code
// would have done. Simulations of one campaign run in parallel, hence the
// atomic.
var fired atomic.Uint64

// On reports whether bug b is switched on.
func On(b Bug) bool { return b != None && active == b }

// Fire reports whether bug b is switched on and, if so, counts a firing.
// Call it only where the correct code and the bug part ways, after every
// other condition: the count then tells a campaign that never reached a
// bug's code path (a workload gap) from one that reached it without any
// check noticing (a checker gap).
func Fire(b Bug) bool {
	if !On(b) {
		return false
	}
	fired.Add(1)
	return true
}

// Set switches bug b on (None switches every bug off) and zeroes the
// firing count.
func Set(b Bug) {
	if b >= Count {
		panic(fmt.Sprintf("bugs: no bug %d", b))
	}
	active = b
	fired.Store(0)
}

// Active returns the bug switched on.
func Active() Bug { return active }

// Fired returns how many times the active bug has fired since Set.
func Fired() uint64 { return fired.Load() }
