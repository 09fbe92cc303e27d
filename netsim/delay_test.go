package netsim

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

const ms = time.Millisecond

func TestDelayValidate(t *testing.T) {
	valid := []Delay{
		Constant(0),
		Constant(5 * ms),
		Uniform(0, 0),
		Uniform(ms, 10*ms),
		LongTail(ms, 10*ms, Ratio{1, 100}, time.Second),
		LongTail(ms, 10*ms, Never, 10*ms),
		Constant(DelayLimit),
	}
	for _, d := range valid {
		if err := d.Validate(); err != nil {
			t.Errorf("%v.Validate() = %v, want nil", d, err)
		}
	}
	invalid := []Delay{
		{},
		{Kind: 9, Min: ms, Max: ms},
		Constant(-ms),
		Constant(DelayLimit + 1),
		{Kind: DelayConstant, Min: ms, Max: 2 * ms},
		Uniform(2*ms, ms),
		Uniform(-ms, ms),
		{Kind: DelayUniform, Min: ms, Max: 2 * ms, TailRatio: Ratio{1, 2}, TailMax: time.Second},
		{Kind: DelayConstant, Min: ms, Max: ms, TailMax: time.Second},
		LongTail(ms, 10*ms, Ratio{}, time.Second),
		LongTail(ms, 10*ms, Ratio{3, 2}, time.Second),
		LongTail(ms, 10*ms, Ratio{1, 2}, 9*ms),
		LongTail(ms, 10*ms, Ratio{1, 2}, DelayLimit+1),
	}
	for _, d := range invalid {
		if err := d.Validate(); !errors.Is(err, ErrBadDelay) {
			t.Errorf("%+v.Validate() = %v, want ErrBadDelay", d, err)
		}
	}
}

func TestReorderValidate(t *testing.T) {
	for _, r := range []Reorder{NoReorder, {Ratio{1, 2}, ms}, {Never, ms}} {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v, want nil", r, err)
		}
	}
	for _, r := range []Reorder{{}, {Ratio{1, 2}, 0}, {Ratio{1, 2}, -ms}, {Ratio{1, 2}, DelayLimit + 1}} {
		if err := r.Validate(); !errors.Is(err, ErrBadDelay) {
			t.Errorf("%+v.Validate() = %v, want ErrBadDelay", r, err)
		}
	}
}

func TestLinkConfigValidate(t *testing.T) {
	good := Reliable(Constant(ms))
	if err := good.Validate(); err != nil {
		t.Fatalf("Reliable config invalid: %v", err)
	}
	tests := []struct {
		name string
		edit func(*LinkConfig)
	}{
		{"zero config", func(c *LinkConfig) { *c = LinkConfig{} }},
		{"bad delay", func(c *LinkConfig) { c.Delay = Uniform(2*ms, ms) }},
		{"zero loss", func(c *LinkConfig) { c.Loss = Ratio{} }},
		{"bad duplicate", func(c *LinkConfig) { c.Duplicate = Ratio{5, 4} }},
		{"bad reorder", func(c *LinkConfig) { c.Reorder = Reorder{Ratio{1, 2}, 0} }},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: Validate() = %v, want ErrBadConfig", tt.name, err)
		}
	}
}

func TestDelayDrawBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 0))
	c := Constant(7 * ms)
	u := Uniform(10, 13)
	seen := map[time.Duration]bool{}
	for range 1000 {
		if d := c.draw(rng); d != 7*ms {
			t.Fatalf("constant drew %v", d)
		}
		d := u.draw(rng)
		if d < 10 || d > 13 {
			t.Fatalf("uniform [10ns, 13ns] drew %v", d)
		}
		seen[d] = true
	}
	// Both ends are reachable: the range is closed.
	if len(seen) != 4 {
		t.Fatalf("uniform [10ns, 13ns] drew only %d distinct values", len(seen))
	}
}

func TestLongTailReachesTailMax(t *testing.T) {
	const seed = 11
	rng := rand.New(rand.NewPCG(seed, 0))
	d := LongTail(ms, 2*ms, Ratio{1, 10}, 100*ms)
	var longest time.Duration
	tail := 0
	for range 10_000 {
		x := d.draw(rng)
		if x < ms || x > 100*ms {
			t.Fatalf("seed %d: long-tail drew %v outside [1ms, 100ms]", seed, x)
		}
		if x > 2*ms {
			tail++
		}
		longest = max(longest, x)
	}
	// About 1000 tail draws, uniform over [2ms, 100ms]: nearly all exceed
	// 2ms and the largest is within a fraction of a percent of TailMax.
	if tail < 850 || tail > 1150 {
		t.Fatalf("seed %d: %d of 10000 draws in the tail, want about 1000", seed, tail)
	}
	if longest < 99*ms {
		t.Fatalf("seed %d: longest delay %v, want close to TailMax 100ms", seed, longest)
	}
}
