package clock

import (
	"fmt"
	"math"
	"time"
)

// Time is a point in virtual time, in nanoseconds since the start of a run.
// Global (simulator) time and a node's local time share this type; which one
// a value is, is said by the name of the variable that holds it.
//
// Virtual time never comes from the wall clock: it only moves when the
// simulator says so, which is what makes a run a pure function of its seed.
type Time int64

// Never is a time no run reaches. GlobalAt returns it when the requested
// local time lies beyond the range of Time.
const Never Time = math.MaxInt64

// Add returns t+d. It panics if the sum overflows, because a wrapped virtual
// time would silently reorder every event scheduled after it.
func (t Time) Add(d time.Duration) Time {
	s := t + Time(d)
	if (d > 0 && s < t) || (d < 0 && s > t) {
		panic(fmt.Sprintf("clock: %d + %d overflows Time", int64(t), int64(d)))
	}
	return s
}

// Sub returns the duration t-u. It panics if the difference overflows a
// time.Duration, which only happens for times about 292 years apart.
func (t Time) Sub(u Time) time.Duration {
	d := t - u
	if (u < 0 && d < t) || (u > 0 && d > t) {
		panic(fmt.Sprintf("clock: %d - %d overflows Duration", int64(t), int64(u)))
	}
	return time.Duration(d)
}

// Duration returns t as the duration elapsed since the start of the run.
func (t Time) Duration() time.Duration { return time.Duration(t) }

// String formats t as seconds with all nine decimals, for example
// "12.345678901s" or "-0.000000500s". The fixed width makes traces line up
// and diff well, and never rounds, so two distinct times never print alike.
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	sign := ""
	u := uint64(t)
	if t < 0 {
		sign = "-"
		// Negating in uint64 is exact even for math.MinInt64.
		u = -u
	}
	const nsPerSecond = uint64(time.Second)
	return fmt.Sprintf("%s%d.%09ds", sign, u/nsPerSecond, u%nsPerSecond)
}
