package clock

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// PPM is a clock rate error in parts per million: a clock with drift +100
// gains 100µs per second of global time, one with -100 loses as much.
type PPM int32

// The bounds on drift. Real quartz is within ±100 ppm, but a fault injector
// wants clocks that are grossly wrong, so the range is ±50%. The lower bound
// also keeps every local clock running forward (at least half speed), which
// GlobalAt relies on, and keeps its 128-bit division from overflowing.
const (
	DriftMin PPM = -500_000
	DriftMax PPM = 500_000
)

// ppmScale is one million: a rate of (ppmScale+drift)/ppmScale.
const ppmScale = 1_000_000

func (p PPM) String() string { return fmt.Sprintf("%+dppm", int32(p)) }

// ErrDriftOutOfRange is returned for a drift outside [DriftMin, DriftMax].
var ErrDriftOutOfRange = errors.New("clock: drift out of range")

// ErrBeforeAnchor is returned for a change dated before the clock's last
// change, or before the start of the run: a clock only keeps its current
// segment, so it cannot rewrite its past.
var ErrBeforeAnchor = errors.New("clock: change dated before the current segment")

// ErrOverflow is returned when a change would set the local clock beyond the
// range of Time.
var ErrOverflow = errors.New("clock: local time overflows")

// Config is the state of a clock at the start of a run (global time 0).
type Config struct {
	// Offset is the local time at global time 0 (skew); it may be negative.
	Offset time.Duration
	// Drift is the initial rate error.
	Drift PPM
}

// Clock maps global time to one node's local time. The mapping is
// piecewise linear: each change (of drift, or a step of the local time)
// starts a new segment anchored at the global time of the change, and
//
//	local(g) = localAnchor + floor((g - globalAnchor) * (1e6 + drift) / 1e6)
//
// for g >= globalAnchor. The clock keeps only its current segment, so the
// simulator applies each change when virtual time reaches it, and asks
// about global times no earlier than the last change.
//
// Integer arithmetic only: the product is computed in 128 bits, so hours,
// days or years of virtual time neither overflow nor lose precision.
// Re-anchoring at each change floors once, so a clock loses at most 1ns of
// local time per change, the same way for every run of a seed.
type Clock struct {
	// globalAnchor is the global time of the last change.
	// Invariant: globalAnchor >= 0.
	globalAnchor Time
	// localAnchor is the local time at globalAnchor.
	localAnchor Time
	// drift is the rate error of the current segment.
	// Invariant: DriftMin <= drift <= DriftMax.
	drift PPM
	// epoch counts the changes since New. Schedules derived from the clock
	// (such as a Ticker's next tick) are stale once it moves.
	epoch uint64
}

// New returns a clock that reads cfg.Offset at global time 0 and runs at
// rate 1 + cfg.Drift/1e6.
func New(cfg Config) (*Clock, error) {
	if err := checkDrift(cfg.Drift); err != nil {
		return nil, err
	}
	return &Clock{localAnchor: Time(cfg.Offset), drift: cfg.Drift}, nil
}

func checkDrift(d PPM) error {
	if d < DriftMin || d > DriftMax {
		return fmt.Errorf("%w: %v not in [%v, %v]", ErrDriftOutOfRange, d, DriftMin, DriftMax)
	}
	return nil
}

// rate is the numerator of the current segment's rate over ppmScale.
// Invariant: ppmScale/2 <= rate <= 3*ppmScale/2, from the drift bounds.
func (c *Clock) rate() uint64 { return uint64(ppmScale + int64(c.drift)) }

// Local returns the local time at global time g. It panics if g precedes
// the current segment, because the clock no longer knows that part of its
// history and the simulator never looks back; or if the local time
// overflows Time, which takes centuries of virtual time.
func (c *Clock) Local(g Time) Time {
	if g < c.globalAnchor {
		panic(fmt.Sprintf("clock: Local(%v) before the current segment's anchor %v", g, c.globalAnchor))
	}
	// The difference fits: 0 <= globalAnchor <= g.
	elapsed := uint64(g - c.globalAnchor)
	hi, lo := bits.Mul64(elapsed, c.rate())
	// Div64 needs hi < divisor: elapsed < 2^63 and rate <= 1.5e6 give
	// hi < 0.75e6 < 1e6.
	q, _ := bits.Div64(hi, lo, ppmScale)
	local, ok := addUnsigned(c.localAnchor, q)
	if !ok {
		panic(fmt.Sprintf("clock: Local(%v) overflows: anchor local %v + %d", g, c.localAnchor, q))
	}
	return local
}

// addUnsigned returns t+q and whether the sum fits in a Time. q may exceed
// math.MaxInt64 when t is negative enough to bring the sum back in range.
func addUnsigned(t Time, q uint64) (Time, bool) {
	// Two's complement addition is exact modulo 2^64; the sum is in range iff
	// the true sum lies in [MinInt64, MaxInt64], which, as t < 2^63 and
	// q >= 0, reduces to the true sum being at most MaxInt64.
	if t >= 0 {
		return t + Time(q), q <= uint64(math.MaxInt64-t)
	}
	// -t as an unsigned value, exact for math.MinInt64 too.
	neg := -uint64(t)
	if q <= neg {
		return t + Time(q), true
	}
	return t + Time(q), q-neg <= math.MaxInt64
}

// GlobalAt returns the earliest global time g, no earlier than the current
// segment's anchor, at which Local(g) >= local. The simulator schedules a
// node's timers with it, so a fast clock fires its timers early in global
// time and a slow one late.
//
// Properties, for any local:
//   - Local(GlobalAt(local)) >= local;
//   - GlobalAt(local) is the anchor, or Local(GlobalAt(local)-1) < local.
//
// Because it is computed on the current segment only, the answer holds until
// the next change of the clock; a caller must recompute its deadlines then
// (Epoch tells it when). A local time the clock has already passed maps to
// the anchor: after a forward step, timers the step jumped over are due at
// the step. After a backward step the clock reads earlier values again, and
// GlobalAt answers for the new reading: a deadline between the new and the
// old reading is reached again later, so a backward step delays timers.
//
// It returns Never if the answer is beyond the range of Time.
func (c *Clock) GlobalAt(local Time) Time {
	if local <= c.localAnchor {
		return c.globalAnchor
	}
	// ahead < 2^64 since local > localAnchor.
	ahead := uint64(local) - uint64(c.localAnchor)
	// The least elapsed with floor(elapsed*rate/1e6) >= ahead is
	// ceil(ahead*1e6/rate): floor(x/m) >= a iff x >= a*m.
	hi, lo := bits.Mul64(ahead, ppmScale)
	rate := c.rate()
	if hi >= rate {
		return Never // the quotient needs more than 64 bits
	}
	q, r := bits.Div64(hi, lo, rate)
	if r != 0 {
		q++
		if q == 0 {
			return Never
		}
	}
	if q > uint64(math.MaxInt64-c.globalAnchor) {
		return Never
	}
	return c.globalAnchor + Time(q)
}

// SetDrift changes the rate from global time at onwards. The local time at
// the change is continuous.
func (c *Clock) SetDrift(at Time, drift PPM) error {
	if err := checkDrift(drift); err != nil {
		return fmt.Errorf("clock: SetDrift at %v: %w", at, err)
	}
	if err := c.checkAt("SetDrift", at); err != nil {
		return err
	}
	c.reanchor(at, c.Local(at))
	c.drift = drift
	return nil
}

// Jump steps the local clock by d (forward if positive, backward if
// negative) at global time at, as an NTP step or an operator would.
func (c *Clock) Jump(at Time, d time.Duration) error {
	if err := c.checkAt("Jump", at); err != nil {
		return err
	}
	before := c.Local(at)
	after := before + Time(d)
	if (d > 0 && after < before) || (d < 0 && after > before) {
		return fmt.Errorf("clock: Jump at %v by %v from %v: %w", at, d, before, ErrOverflow)
	}
	c.reanchor(at, after)
	return nil
}

// Set steps the local clock to read local at global time at.
func (c *Clock) Set(at Time, local Time) error {
	if err := c.checkAt("Set", at); err != nil {
		return err
	}
	c.reanchor(at, local)
	return nil
}

func (c *Clock) checkAt(op string, at Time) error {
	if at < c.globalAnchor || at < 0 {
		return fmt.Errorf("clock: %s at %v: %w (anchor %v)", op, at, ErrBeforeAnchor, c.globalAnchor)
	}
	return nil
}

func (c *Clock) reanchor(at, local Time) {
	if at < c.globalAnchor {
		panic(fmt.Sprintf("clock: reanchor at %v before anchor %v", at, c.globalAnchor))
	}
	c.globalAnchor = at
	c.localAnchor = local
	c.epoch++
}

// Drift returns the rate error of the current segment.
func (c *Clock) Drift() PPM { return c.drift }

// Anchor returns the global time of the last change and the local time the
// clock read then.
func (c *Clock) Anchor() (global, local Time) { return c.globalAnchor, c.localAnchor }

// Epoch counts the changes made to the clock. Anything computed with
// GlobalAt is stale once Epoch moves; a simulator tags scheduled timer
// events with it and drops those whose tag is old.
func (c *Clock) Epoch() uint64 { return c.epoch }

func (c *Clock) String() string {
	return fmt.Sprintf("clock{global %v = local %v, drift %v}", c.globalAnchor, c.localAnchor, c.drift)
}
