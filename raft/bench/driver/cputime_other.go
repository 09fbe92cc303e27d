//go:build !unix

package driver

import "time"

// processCPU is not measured here; the cpu-ns/commit metric is omitted.
func processCPU() (time.Duration, bool) { return 0, false }
