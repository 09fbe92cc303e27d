package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrBadDelay is returned for a delay model or reorder setting that cannot
// be drawn from.
var ErrBadDelay = errors.New("netsim: bad delay")

// DelayLimit bounds every configured delay, so that no message can be held
// back past the end of any reasonable run by a typo.
const DelayLimit = 24 * time.Hour

// DelayKind selects the distribution of a link's transit delay.
type DelayKind uint8

// Kinds start at 1 so that a zero Delay is invalid and caught.
const (
	// DelayConstant delays every message by Min (== Max).
	DelayConstant DelayKind = iota + 1
	// DelayUniform draws uniformly from [Min, Max].
	DelayUniform
	// DelayLongTail draws uniformly from [Min, Max], except that a fraction
	// TailRatio of messages is drawn uniformly from [Max, TailMax]. Since the
	// tail overtakes nothing but is overtaken by everything, it reorders
	// messages the way a congested real network does.
	DelayLongTail
)

func (k DelayKind) String() string {
	switch k {
	case DelayConstant:
		return "constant"
	case DelayUniform:
		return "uniform"
	case DelayLongTail:
		return "long-tail"
	}
	return fmt.Sprintf("DelayKind(%d)", uint8(k))
}

// Delay is a distribution of transit delays. Build it with Constant, Uniform
// or LongTail, or fill the fields by name.
type Delay struct {
	Kind     DelayKind
	Min, Max time.Duration
	// TailRatio and TailMax are used by DelayLongTail only, and must be
	// zero for the other kinds so that a misplaced tail is an error rather
	// than silently ignored.
	TailRatio Ratio
	TailMax   time.Duration
}

// Constant returns a delay model that always gives d.
func Constant(d time.Duration) Delay { return Delay{Kind: DelayConstant, Min: d, Max: d} }

// Uniform returns a delay model uniform over [lo, hi].
func Uniform(lo, hi time.Duration) Delay { return Delay{Kind: DelayUniform, Min: lo, Max: hi} }

// LongTail returns a delay model uniform over [lo, hi] for most messages,
// and over [hi, tailMax] for a fraction tail of them.
func LongTail(lo, hi time.Duration, tail Ratio, tailMax time.Duration) Delay {
	return Delay{Kind: DelayLongTail, Min: lo, Max: hi, TailRatio: tail, TailMax: tailMax}
}

// Validate reports whether d can be drawn from.
func (d Delay) Validate() error {
	if d.Min < 0 || d.Max < d.Min || d.Max > DelayLimit {
		return fmt.Errorf("%w: %v range [%v, %v] must satisfy 0 <= Min <= Max <= %v",
			ErrBadDelay, d.Kind, d.Min, d.Max, DelayLimit)
	}
	switch d.Kind {
	case DelayConstant, DelayUniform:
		if d.TailRatio != (Ratio{}) || d.TailMax != 0 {
			return fmt.Errorf("%w: %v delay has a tail (%v up to %v); use DelayLongTail",
				ErrBadDelay, d.Kind, d.TailRatio, d.TailMax)
		}
		if d.Kind == DelayConstant && d.Min != d.Max {
			return fmt.Errorf("%w: constant delay with Min %v != Max %v", ErrBadDelay, d.Min, d.Max)
		}
	case DelayLongTail:
		if err := d.TailRatio.Validate(); err != nil {
			return fmt.Errorf("%w: TailRatio: %w", ErrBadDelay, err)
		}
		if d.TailMax < d.Max || d.TailMax > DelayLimit {
			return fmt.Errorf("%w: TailMax %v must be in [Max %v, %v]", ErrBadDelay, d.TailMax, d.Max, DelayLimit)
		}
	default:
		return fmt.Errorf("%w: unknown kind %v", ErrBadDelay, d.Kind)
	}
	return nil
}

// draw returns one delay. Draws: none for a constant; one for uniform; the
// tail chance, then one, for long-tail. A degenerate range draws nothing.
func (d *Delay) draw(rng *rand.Rand) time.Duration {
	switch d.Kind {
	case DelayConstant:
		return d.Min
	case DelayUniform:
		return uniform(rng, d.Min, d.Max)
	case DelayLongTail:
		if d.TailRatio.Chance(rng) {
			return uniform(rng, d.Max, d.TailMax)
		}
		return uniform(rng, d.Min, d.Max)
	}
	panic(fmt.Sprintf("netsim: draw from unvalidated delay kind %v", d.Kind))
}

func (d Delay) String() string {
	switch d.Kind {
	case DelayConstant:
		return fmt.Sprintf("constant(%v)", d.Min)
	case DelayUniform:
		return fmt.Sprintf("uniform(%v, %v)", d.Min, d.Max)
	case DelayLongTail:
		return fmt.Sprintf("long-tail(%v, %v, %v up to %v)", d.Min, d.Max, d.TailRatio, d.TailMax)
	}
	return d.Kind.String()
}

// uniform draws from [lo, hi]; both bounds are within [0, DelayLimit], so
// the span cannot overflow.
func uniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if lo == hi {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// Reorder gives a fraction Ratio of messages an extra delay drawn uniformly
// from [0, Window], on top of the delay model, so that they overtake or are
// overtaken by their neighbours even on a constant-delay link.
type Reorder struct {
	Ratio  Ratio
	Window time.Duration
}

// NoReorder leaves message order to the delay model.
var NoReorder = Reorder{Ratio: Never}

// Validate reports whether r is usable. A non-zero ratio with a zero window
// would do nothing, which is a configuration mistake worth reporting.
func (r Reorder) Validate() error {
	if err := r.Ratio.Validate(); err != nil {
		return fmt.Errorf("%w: reorder Ratio: %w", ErrBadDelay, err)
	}
	if r.Window < 0 || r.Window > DelayLimit {
		return fmt.Errorf("%w: reorder Window %v must be in [0, %v]", ErrBadDelay, r.Window, DelayLimit)
	}
	if !r.Ratio.IsZero() && r.Window == 0 {
		return fmt.Errorf("%w: reorder Ratio %v with a zero Window", ErrBadDelay, r.Ratio)
	}
	return nil
}

// extra returns the reorder delay of one message: the chance, then (if
// chosen) one draw.
func (r *Reorder) extra(rng *rand.Rand) time.Duration {
	if !r.Ratio.Chance(rng) {
		return 0
	}
	return uniform(rng, 0, r.Window)
}
