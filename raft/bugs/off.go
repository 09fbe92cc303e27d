//go:build !raftbugs

package bugs

// On reports whether bug b is switched on: never, in a normal build.
func On(b Bug) bool { return false }

// Fire reports whether bug b is switched on and counts a firing: never,
// in a normal build.
func Fire(b Bug) bool { return false }
