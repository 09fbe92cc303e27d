package clock

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadTicker is returned for a TickerConfig that cannot work.
var ErrBadTicker = errors.New("clock: bad ticker config")

// TickerConfig describes a periodic timer on a node's local clock.
type TickerConfig struct {
	// Interval is the tick period in local time. Must be > 0.
	Interval time.Duration
	// BurstMax bounds the ticks one Fire reports when the local clock has
	// passed several tick times at once (a forward step, or a late Fire).
	// Ticks beyond the bound are skipped and counted. Must be >= 1;
	// 1 coalesces like Go's time.Ticker.
	BurstMax int
}

// Ticker yields the global times of a node's periodic ticks, which fall due
// each time its local clock reaches the next multiple of Interval after the
// start. The simulator uses it to schedule each node's Raft ticks, so a node
// with a fast clock ticks more often in global time and one with a slow
// clock less often.
//
// A forward step of the clock makes every tick it jumped over due at once.
// Those ticks are reported together by one Fire, not coalesced (up to
// BurstMax), because that is what a forward step means to the node: it
// believes that much time has passed, so its election and lease timers
// expire at once. That is the adversarial case a clock fault is meant to
// test; BurstMax = 1 gives the gentler coalescing behaviour instead.
//
// A backward step leaves the next tick's local time where it was; the clock
// must catch up to it again, so the tick is delayed by the size of the step.
type Ticker struct {
	clock *Clock
	// interval is the tick period in local time.
	// Invariant: interval > 0.
	interval time.Duration
	// burstMax bounds the ticks reported by one Fire.
	// Invariant: burstMax >= 1.
	burstMax int
	// nextLocal is the local time at which the next tick falls due.
	// Invariant: after Fire(now), nextLocal > clock.Local(now).
	nextLocal Time
	// fired counts the ticks reported; skipped those dropped by BurstMax.
	fired, skipped uint64
}

// NewTicker returns a ticker whose first tick falls due one interval of
// local time after global time now.
func NewTicker(c *Clock, cfg TickerConfig, now Time) (*Ticker, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil clock", ErrBadTicker)
	}
	if cfg.Interval <= 0 {
		return nil, fmt.Errorf("%w: Interval %v must be > 0", ErrBadTicker, cfg.Interval)
	}
	if cfg.BurstMax < 1 {
		return nil, fmt.Errorf("%w: BurstMax %d must be >= 1", ErrBadTicker, cfg.BurstMax)
	}
	return &Ticker{
		clock:     c,
		interval:  cfg.Interval,
		burstMax:  cfg.BurstMax,
		nextLocal: c.Local(now).Add(cfg.Interval),
	}, nil
}

// Next returns the global time at which the next tick falls due, computed on
// the clock's current segment: call it again after every change to the
// clock (see Clock.Epoch), since the change moves the answer.
func (t *Ticker) Next() Time { return t.clock.GlobalAt(t.nextLocal) }

// NextLocal returns the local time at which the next tick falls due.
func (t *Ticker) NextLocal() Time { return t.nextLocal }

// Fire reports how many ticks are due at global time now and moves past
// them: the simulator calls the node's Tick that many times, then schedules
// the next tick at Next. It returns 0 when no tick is due, as happens when
// a stale event (scheduled before a clock change) fires.
func (t *Ticker) Fire(now Time) int {
	local := t.clock.Local(now)
	if local < t.nextLocal {
		return 0
	}
	// The unsigned difference is exact because local >= nextLocal.
	due := (uint64(local)-uint64(t.nextLocal))/uint64(t.interval) + 1
	t.nextLocal = t.nextLocal.Add(time.Duration(due * uint64(t.interval)))
	if t.nextLocal <= local {
		panic(fmt.Sprintf("clock: ticker next local %v not after local %v (now %v)", t.nextLocal, local, now))
	}
	n := due
	if n > uint64(t.burstMax) {
		n = uint64(t.burstMax)
	}
	t.fired += n
	t.skipped += due - n
	if next := t.Next(); next <= now {
		panic(fmt.Sprintf("clock: ticker next tick at %v not after now %v (local %v, next local %v)",
			next, now, local, t.nextLocal))
	}
	return int(n)
}

// Fired returns the number of ticks Fire has reported.
func (t *Ticker) Fired() uint64 { return t.fired }

// Skipped returns the number of due ticks that BurstMax dropped.
func (t *Ticker) Skipped() uint64 { return t.skipped }
