//go:build !raftbugs

package main

import (
	"strings"
	"testing"
)

// A normal build has no planted bugs: selftest says how to get them.
func TestSelftestInANormalBuildSaysHow(t *testing.T) {
	_, errs, code := cli(t, "selftest", "--budget", "5s")
	if code != exitUsage || !strings.Contains(errs, "make selftest") || strings.Contains(errs, "unknown command") {
		t.Fatalf("exit %d: %q", code, errs)
	}
}
