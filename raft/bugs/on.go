//go:build raftbugs

package bugs

import "fmt"

// active is the bug switched on for the whole process. Global state is
// tolerable here only because it exists in selftest builds alone.
var active Bug

// On reports whether bug b is switched on.
func On(b Bug) bool { return b != None && active == b }

// Set switches bug b on (None switches every bug off).
func Set(b Bug) {
	if b >= Count {
		panic(fmt.Sprintf("bugs: no bug %d", b))
	}
	active = b
}

// Active returns the bug switched on.
func Active() Bug { return active }
