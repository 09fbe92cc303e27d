// Package clock is virtual time for the simulator: global time, each node's
// local clock (skew, drift, steps), and tickers that turn a node's local
// clock into the global times of its Raft ticks.
//
// Global time (Time) is the simulator's: nanoseconds since the start of the
// run, advanced only by the event loop. A node never sees it; it sees its
// Clock, a piecewise-linear function of global time:
//
//	local(g) = localAnchor + floor((g - globalAnchor) * (1e6 + drift) / 1e6)
//
// with drift in parts per million, bounded to [DriftMin, DriftMax] = ±50%.
// SetDrift, Jump and Set start a new segment at a given global time.
// GlobalAt inverts the current segment: it is the earliest global time at
// which the clock reads at least a given local time, and is how a node's
// timers are placed on the global event queue.
//
// # Invariants
//
//   - Arithmetic is integer only, 128-bit where it multiplies, so results
//     are exact floors and identical on every platform; nothing overflows
//     before centuries of virtual time, and what would overflow panics (Local,
//     Time.Add) or returns Never (GlobalAt) instead of wrapping.
//   - Within a segment the local clock is non-decreasing (the rate is at
//     least one half); only a backward Jump or Set makes it read earlier.
//   - Local(GlobalAt(x)) >= x, and GlobalAt(x) is the least such global time
//     not before the current anchor.
//   - A clock keeps only its current segment: changes are dated no earlier
//     than the previous change, and Local is asked about no earlier time.
//     Both hold naturally when the event loop applies each change at the
//     virtual time it happens.
//   - Every change increments Epoch; deadlines computed with GlobalAt before
//     a change are stale after it.
//
// This package reads no wall clock, draws no random numbers and starts no
// goroutines.
//
// # Example
//
//	c, _ := clock.New(clock.Config{Offset: 3 * time.Millisecond, Drift: 200})
//	tk, _ := clock.NewTicker(c, clock.TickerConfig{Interval: 10 * time.Millisecond, BurstMax: 16}, 0)
//	queue.Push(tickEvent{node: 1, at: tk.Next(), epoch: c.Epoch()})
//
//	// When a tick event pops at global time now:
//	if ev.epoch == c.Epoch() {
//		for range tk.Fire(now) {
//			node.Tick()
//		}
//		queue.Push(tickEvent{node: 1, at: tk.Next(), epoch: c.Epoch()})
//	}
//
//	// When a clock fault pops at global time now:
//	c.Jump(now, -50*time.Millisecond) // the next tick comes 50ms later
//	queue.Push(tickEvent{node: 1, at: tk.Next(), epoch: c.Epoch()})
package clock
