package clock

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func mustClock(t testing.TB, cfg Config) *Clock {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return c
}

func TestNewValidatesDrift(t *testing.T) {
	for _, d := range []PPM{DriftMin, -1, 0, 1, DriftMax} {
		if _, err := New(Config{Drift: d}); err != nil {
			t.Errorf("New(drift %v) = %v, want ok", d, err)
		}
	}
	for _, d := range []PPM{DriftMin - 1, DriftMax + 1, math.MinInt32, math.MaxInt32} {
		if _, err := New(Config{Drift: d}); !errors.Is(err, ErrDriftOutOfRange) {
			t.Errorf("New(drift %v) = %v, want ErrDriftOutOfRange", d, err)
		}
	}
}

func TestLocalAndGlobalAt(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		global    Time
		local     Time // Local(global)
		globalAt  Time // GlobalAt(local)
		globalAtX Time // GlobalAt(local+1)
	}{
		{"identity", Config{}, Time(time.Second), Time(time.Second), Time(time.Second), Time(time.Second) + 1},
		{"offset", Config{Offset: 5 * time.Millisecond}, Time(time.Second), Time(1005 * time.Millisecond), Time(time.Second), Time(time.Second) + 1},
		{"negative offset", Config{Offset: -time.Second}, 0, Time(-time.Second), 0, 1},
		// At +10% the clock reads floor(1.1*g): 9 -> 9, 10 -> 11, so local
		// 10 is first reached at global 10 as well, and 11 at 10.
		{"fast floor", Config{Drift: 100_000}, 9, 9, 9, 10},
		{"fast skips", Config{Drift: 100_000}, 10, 11, 10, 11},
		{"fast second", Config{Drift: 100_000}, Time(time.Second), Time(1100 * time.Millisecond), Time(time.Second), Time(time.Second) + 1},
		// At half speed local 1 is read at global 2 and 3.
		{"slowest", Config{Drift: DriftMin}, 3, 1, 2, 4},
		{"fastest", Config{Drift: DriftMax}, 2, 3, 2, 3},
		{"slow second", Config{Drift: -100}, Time(time.Second), Time(time.Second - 100*time.Microsecond), Time(time.Second), Time(time.Second) + 2},
		{"before offset", Config{Offset: time.Second}, 0, Time(time.Second), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustClock(t, tt.cfg)
			if got := c.Local(tt.global); got != tt.local {
				t.Errorf("Local(%d) = %d, want %d", tt.global, got, tt.local)
			}
			if got := c.GlobalAt(tt.local); got != tt.globalAt {
				t.Errorf("GlobalAt(%d) = %d, want %d", tt.local, got, tt.globalAt)
			}
			if got := c.GlobalAt(tt.local + 1); got != tt.globalAtX {
				t.Errorf("GlobalAt(%d) = %d, want %d", tt.local+1, got, tt.globalAtX)
			}
		})
	}
}

func TestChangesReanchor(t *testing.T) {
	c := mustClock(t, Config{})
	sec := Time(time.Second)
	if err := c.SetDrift(sec, 100_000); err != nil {
		t.Fatal(err)
	}
	// Continuous at the change, then 10% fast.
	if got := c.Local(sec); got != sec {
		t.Fatalf("Local at drift change = %v, want %v", got, sec)
	}
	if got := c.Local(2 * sec); got != sec+Time(1100*time.Millisecond) {
		t.Fatalf("Local one second after +10%% = %v, want 2.1s", got)
	}
	if err := c.Jump(2*sec, time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Local(2 * sec); got != Time(3100*time.Millisecond) {
		t.Fatalf("Local after forward jump = %v, want 3.1s", got)
	}
	// Local times the jump skipped are due at the jump.
	if got := c.GlobalAt(Time(2500 * time.Millisecond)); got != 2*sec {
		t.Fatalf("GlobalAt(skipped local) = %v, want the jump time 2s", got)
	}
	if err := c.Jump(3*sec, -2*time.Second); err != nil {
		t.Fatal(err)
	}
	// The clock read 4.2s at 3s and now reads 2.2s; 4.2s comes again
	// 2s/1.1 later, rounded up to whole nanoseconds.
	if got := c.Local(3 * sec); got != Time(2200*time.Millisecond) {
		t.Fatalf("Local after backward jump = %v, want 2.2s", got)
	}
	if got, want := c.GlobalAt(Time(4200*time.Millisecond)), 3*sec+1818181819; got != want {
		t.Fatalf("GlobalAt(4.2s) after backward jump = %v, want %v", got, want)
	}
	if err := c.Set(4*sec, 0); err != nil {
		t.Fatal(err)
	}
	if got := c.Local(4 * sec); got != 0 {
		t.Fatalf("Local after Set = %v, want 0", got)
	}
	if c.Epoch() != 4 {
		t.Fatalf("Epoch = %d after 4 changes", c.Epoch())
	}
	if g, l := c.Anchor(); g != 4*sec || l != 0 {
		t.Fatalf("Anchor = %v, %v; want 4s, 0", g, l)
	}
	if c.Drift() != 100_000 {
		t.Fatalf("Drift = %v, want +100000ppm", c.Drift())
	}
}

func TestChangeErrors(t *testing.T) {
	c := mustClock(t, Config{})
	if err := c.SetDrift(10, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDrift(9, 5); !errors.Is(err, ErrBeforeAnchor) {
		t.Errorf("SetDrift in the past = %v, want ErrBeforeAnchor", err)
	}
	if err := c.Jump(9, 1); !errors.Is(err, ErrBeforeAnchor) {
		t.Errorf("Jump in the past = %v, want ErrBeforeAnchor", err)
	}
	if err := c.Set(9, 1); !errors.Is(err, ErrBeforeAnchor) {
		t.Errorf("Set in the past = %v, want ErrBeforeAnchor", err)
	}
	if err := c.SetDrift(10, DriftMax+1); !errors.Is(err, ErrDriftOutOfRange) {
		t.Errorf("SetDrift out of range = %v, want ErrDriftOutOfRange", err)
	}
	if err := c.Set(20, math.MaxInt64-1); err != nil {
		t.Fatal(err)
	}
	if err := c.Jump(20, 2); !errors.Is(err, ErrOverflow) {
		t.Errorf("Jump past MaxInt64 = %v, want ErrOverflow", err)
	}
	// Failed changes leave the clock alone.
	if c.Epoch() != 2 {
		t.Errorf("Epoch = %d, want 2 (failed changes must not count)", c.Epoch())
	}
	// One local nanosecond more is reached one global nanosecond later.
	if got := c.GlobalAt(Never); got != 21 {
		t.Errorf("GlobalAt(Never) = %d, want 21", got)
	}
	slow := mustClock(t, Config{Offset: math.MinInt64, Drift: DriftMin})
	if got := slow.GlobalAt(Never); got != Never {
		t.Errorf("GlobalAt beyond the range of Time = %v, want Never", got)
	}
}

func TestLocalBeforeAnchorPanics(t *testing.T) {
	c := mustClock(t, Config{})
	if err := c.Jump(100, 0); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Local before the anchor did not panic")
		}
	}()
	c.Local(99)
}

// bigLocal is the reference: the segment formula in arbitrary precision.
func bigLocal(gAnchor, lAnchor Time, drift PPM, g Time) *big.Int {
	x := big.NewInt(int64(g - gAnchor))
	x.Mul(x, big.NewInt(ppmScale+int64(drift)))
	x.Quo(x, big.NewInt(ppmScale)) // x >= 0, so truncation is floor
	return x.Add(x, big.NewInt(int64(lAnchor)))
}

// bigGlobalAt is the reference inverse: anchor + ceil(ahead*1e6/rate).
func bigGlobalAt(gAnchor, lAnchor Time, drift PPM, local Time) *big.Int {
	if local <= lAnchor {
		return big.NewInt(int64(gAnchor))
	}
	ahead := new(big.Int).Sub(big.NewInt(int64(local)), big.NewInt(int64(lAnchor)))
	num := ahead.Mul(ahead, big.NewInt(ppmScale))
	rate := big.NewInt(ppmScale + int64(drift))
	num.Add(num, rate).Sub(num, big.NewInt(1))
	q := num.Quo(num, rate)
	return q.Add(q, big.NewInt(int64(gAnchor)))
}

var bigMaxTime = big.NewInt(math.MaxInt64)

// drawClock makes a clock whose current segment has arbitrary anchors,
// including ones near the ends of Time.
func drawClock(t *rapid.T) *Clock {
	c, err := New(Config{
		Offset: time.Duration(rapid.Int64().Draw(t, "offset")),
		Drift:  PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "drift")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rapid.Bool().Draw(t, "moved") {
		at := Time(rapid.Int64Range(0, math.MaxInt64).Draw(t, "anchor"))
		if err := c.Set(at, Time(rapid.Int64().Draw(t, "local"))); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestPropLocalMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawClock(t)
		ga, la := c.Anchor()
		g := Time(rapid.Int64Range(int64(ga), math.MaxInt64).Draw(t, "g"))
		want := bigLocal(ga, la, c.Drift(), g)
		if !want.IsInt64() {
			defer func() {
				if recover() == nil {
					t.Fatalf("Local(%d) on %v did not panic; exact value %v overflows", g, c, want)
				}
			}()
		}
		if got := c.Local(g); big.NewInt(int64(got)).Cmp(want) != 0 {
			t.Fatalf("Local(%d) on %v = %d, want %v", g, c, got, want)
		}
	})
}

func TestPropGlobalAtIsEarliest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := drawClock(t)
		ga, la := c.Anchor()
		x := Time(rapid.Int64().Draw(t, "local"))
		g := c.GlobalAt(x)
		want := bigGlobalAt(ga, la, c.Drift(), x)
		if want.Cmp(bigMaxTime) >= 0 {
			if g != Never {
				t.Fatalf("GlobalAt(%d) on %v = %d, want Never (exact %v)", x, c, g, want)
			}
			return
		}
		if big.NewInt(int64(g)).Cmp(want) != 0 {
			t.Fatalf("GlobalAt(%d) on %v = %d, want %v", x, c, g, want)
		}
		// The two properties the simulator relies on, checked through
		// Local itself; skip them when the local reading would overflow.
		if !bigLocal(ga, la, c.Drift(), g).IsInt64() {
			return
		}
		if l := c.Local(g); l < x {
			t.Fatalf("Local(GlobalAt(%d)) = %d < %d on %v", x, l, x, c)
		}
		if g > ga {
			if l := c.Local(g - 1); l >= x {
				t.Fatalf("GlobalAt(%d) = %d is not the earliest: Local(%d) = %d on %v", x, g, g-1, l, c)
			}
		}
	})
}

// TestPropRoundTrip checks that mapping a global time to local and back
// lands no later than the start, and on the same local reading.
func TestPropRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := mustClockRapid(t, Config{
			Offset: time.Duration(rapid.Int64Range(-int64(time.Hour), int64(time.Hour)).Draw(t, "offset")),
			Drift:  PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "drift")),
		})
		// A thousand hours of virtual time.
		g := Time(rapid.Int64Range(0, int64(1000*time.Hour)).Draw(t, "g"))
		l := c.Local(g)
		back := c.GlobalAt(l)
		if back > g {
			t.Fatalf("GlobalAt(Local(%d)) = %d > %d on %v", g, back, g, c)
		}
		if c.Local(back) != l {
			t.Fatalf("Local(GlobalAt(%d)) = %d, want %d on %v", l, c.Local(back), l, c)
		}
	})
}

func mustClockRapid(t *rapid.T, cfg Config) *Clock {
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPropMonotonic runs a clock through random drift changes and forward
// steps, reading it at increasing global times, and checks that the
// readings never decrease. Backward steps are left out: they are the one
// way to make a clock read earlier.
func TestPropMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := mustClockRapid(t, Config{
			Drift: PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "drift")),
		})
		now, last := Time(0), c.Local(0)
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for i := range steps {
			now = now.Add(time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "dt")))
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				d := PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "newDrift"))
				if err := c.SetDrift(now, d); err != nil {
					t.Fatal(err)
				}
			case 1:
				d := time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(t, "jump"))
				if err := c.Jump(now, d); err != nil {
					t.Fatal(err)
				}
			}
			l := c.Local(now)
			if l < last {
				t.Fatalf("step %d: Local(%v) = %v < previous reading %v on %v", i, now, l, last, c)
			}
			last = l
		}
	})
}
