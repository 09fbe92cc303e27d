package clock

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func mustTicker(t testing.TB, c *Clock, cfg TickerConfig, now Time) *Ticker {
	t.Helper()
	tk, err := NewTicker(c, cfg, now)
	if err != nil {
		t.Fatalf("NewTicker(%+v): %v", cfg, err)
	}
	return tk
}

func TestNewTickerValidates(t *testing.T) {
	c := mustClock(t, Config{})
	tests := []struct {
		name string
		c    *Clock
		cfg  TickerConfig
	}{
		{"nil clock", nil, TickerConfig{Interval: 1, BurstMax: 1}},
		{"zero interval", c, TickerConfig{Interval: 0, BurstMax: 1}},
		{"negative interval", c, TickerConfig{Interval: -1, BurstMax: 1}},
		{"zero burst", c, TickerConfig{Interval: 1, BurstMax: 0}},
	}
	for _, tt := range tests {
		if _, err := NewTicker(tt.c, tt.cfg, 0); !errors.Is(err, ErrBadTicker) {
			t.Errorf("%s: NewTicker = %v, want ErrBadTicker", tt.name, err)
		}
	}
}

// countTicks drives a ticker the way the simulator does and returns how
// many ticks fall due in global time (now, end]. Every event must fire at
// least one tick, which also bounds the loop.
func countTicks(t testing.TB, tk *Ticker, end Time) int {
	t.Helper()
	n := 0
	for at := tk.Next(); at <= end; at = tk.Next() {
		fired := tk.Fire(at)
		if fired == 0 {
			t.Fatalf("Fire(Next() = %v) reported no tick", at)
		}
		n += fired
	}
	return n
}

func TestTickerDriftChangesTickRate(t *testing.T) {
	tests := []struct {
		drift PPM
		want  int
	}{
		{0, 100},
		{100_000, 110}, // 10% fast: 10% more ticks per global second
		{-100_000, 90},
		{DriftMax, 150},
		{DriftMin, 50},
	}
	for _, tt := range tests {
		t.Run(tt.drift.String(), func(t *testing.T) {
			c := mustClock(t, Config{Drift: tt.drift})
			tk := mustTicker(t, c, TickerConfig{Interval: 10 * time.Millisecond, BurstMax: 1}, 0)
			if got := countTicks(t, tk, Time(time.Second)); got != tt.want {
				t.Fatalf("ticks in one global second at %v = %d, want %d", tt.drift, got, tt.want)
			}
			if tk.Skipped() != 0 {
				t.Fatalf("skipped %d ticks without any jump", tk.Skipped())
			}
		})
	}
}

func TestTickerDriftChangeMidRun(t *testing.T) {
	c := mustClock(t, Config{})
	tk := mustTicker(t, c, TickerConfig{Interval: 10 * time.Millisecond, BurstMax: 1}, 0)
	half := Time(500 * time.Millisecond)
	first := countTicks(t, tk, half)
	if err := c.SetDrift(half, 100_000); err != nil {
		t.Fatal(err)
	}
	second := countTicks(t, tk, 2*half)
	if first != 50 || second != 55 {
		t.Fatalf("ticks before/after +10%% = %d/%d, want 50/55", first, second)
	}
}

func TestTickerForwardJump(t *testing.T) {
	ms := func(n int64) Time { return Time(n * int64(time.Millisecond)) }
	for _, burst := range []int{1, 3, 100} {
		t.Run(fmt.Sprintf("burst%d", burst), func(t *testing.T) {
			c := mustClock(t, Config{})
			tk := mustTicker(t, c, TickerConfig{Interval: 10 * time.Millisecond, BurstMax: burst}, 0)
			if n := countTicks(t, tk, ms(25)); n != 2 {
				t.Fatalf("ticks before the jump = %d, want 2", n)
			}
			if err := c.Jump(ms(25), 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			// The clock jumped from 25ms to 75ms, over the ticks of 30, 40,
			// 50, 60 and 70ms: all are due at the jump.
			if at := tk.Next(); at != ms(25) {
				t.Fatalf("Next after forward jump = %v, want the jump time 25ms", at)
			}
			want := min(5, burst)
			if n := tk.Fire(ms(25)); n != want {
				t.Fatalf("Fire at the jump = %d ticks, want %d", n, want)
			}
			if tk.Skipped() != uint64(5-want) {
				t.Fatalf("Skipped = %d, want %d", tk.Skipped(), 5-want)
			}
			// The grid is kept: the next tick is local 80ms, global 30ms.
			if at := tk.Next(); at != ms(30) {
				t.Fatalf("Next after the burst = %v, want 30ms", at)
			}
			if tk.Fired() != uint64(2+want) {
				t.Fatalf("Fired = %d, want %d", tk.Fired(), 2+want)
			}
		})
	}
}

func TestTickerBackwardJumpDelays(t *testing.T) {
	ms := func(n int64) Time { return Time(n * int64(time.Millisecond)) }
	c := mustClock(t, Config{})
	tk := mustTicker(t, c, TickerConfig{Interval: 10 * time.Millisecond, BurstMax: 1}, 0)
	countTicks(t, tk, ms(25))
	if err := c.Jump(ms(25), -50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// Local reads -25ms at 25ms; the tick due at local 30ms waits 55ms.
	if at := tk.Next(); at != ms(80) {
		t.Fatalf("Next after backward jump = %v, want 80ms", at)
	}
	// An event scheduled before the jump (for 30ms) is stale: no tick.
	if n := tk.Fire(ms(30)); n != 0 {
		t.Fatalf("stale Fire at 30ms = %d ticks, want 0", n)
	}
	if n := tk.Fire(ms(80)); n != 1 {
		t.Fatalf("Fire at 80ms = %d ticks, want 1", n)
	}
	if tk.NextLocal() != ms(40) {
		t.Fatalf("NextLocal = %v, want 40ms", tk.NextLocal())
	}
}

type tickerChange struct {
	at    Time
	op    int // 0: SetDrift, 1: Jump
	drift PPM
	jump  time.Duration
}

func applyChange(t *rapid.T, c *Clock, ch tickerChange) {
	var err error
	if ch.op == 0 {
		err = c.SetDrift(ch.at, ch.drift)
	} else {
		err = c.Jump(ch.at, ch.jump)
	}
	if err != nil {
		t.Fatalf("change %+v: %v", ch, err)
	}
}

type tickAt struct {
	at Time
	n  int
}

// scanTicks is the naive reference: it reads the clock at every global
// nanosecond up to end, applying each change when its time comes, and
// ticks whenever the clock has reached the next tick's local time.
func scanTicks(t *rapid.T, drift PPM, interval time.Duration, end Time, changes []tickerChange) []tickAt {
	c := mustClockRapid(t, Config{Drift: drift})
	nextLocal := c.Local(0).Add(interval)
	var ticks []tickAt
	ci := 0
	for g := Time(0); g <= end; g++ {
		for ci < len(changes) && changes[ci].at == g {
			applyChange(t, c, changes[ci])
			ci++
		}
		n := 0
		for ; c.Local(g) >= nextLocal; nextLocal += Time(interval) {
			n++
		}
		if n > 0 {
			ticks = append(ticks, tickAt{g, n})
		}
	}
	return ticks
}

// driveTicks runs a Ticker as the simulator does: changes and ticks in time
// order, changes first at equal times.
func driveTicks(t *rapid.T, drift PPM, interval time.Duration, end Time, changes []tickerChange) []tickAt {
	c := mustClockRapid(t, Config{Drift: drift})
	tk, err := NewTicker(c, TickerConfig{Interval: interval, BurstMax: 1 << 30}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ticks []tickAt
	ci := 0
	// Each pass applies a change or fires at least one tick; the ticks are
	// at most end/interval plus those the backward jumps add back.
	for pass := 0; ; pass++ {
		if pass > 10_000 {
			t.Fatalf("ticker loop did not end after %d passes (fired %v)", pass, ticks)
		}
		next := tk.Next()
		if ci < len(changes) && changes[ci].at <= next && changes[ci].at <= end {
			applyChange(t, c, changes[ci])
			ci++
			continue
		}
		if next > end {
			return ticks
		}
		n := tk.Fire(next)
		if n == 0 {
			t.Fatalf("Fire(Next() = %v) reported no tick", next)
		}
		ticks = append(ticks, tickAt{next, n})
	}
}

// TestPropTickerMatchesScan compares the ticker with the naive reference
// under random drift changes and jumps.
func TestPropTickerMatchesScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		interval := time.Duration(rapid.Int64Range(1, 50).Draw(t, "interval"))
		end := Time(rapid.Int64Range(1, 3000).Draw(t, "end"))
		drift := PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "drift"))
		var changes []tickerChange
		at := Time(0)
		for range rapid.IntRange(0, 10).Draw(t, "changes") {
			at += Time(rapid.Int64Range(0, 400).Draw(t, "gap"))
			changes = append(changes, tickerChange{
				at:    at,
				op:    rapid.IntRange(0, 1).Draw(t, "op"),
				drift: PPM(rapid.Int32Range(int32(DriftMin), int32(DriftMax)).Draw(t, "drift")),
				jump:  time.Duration(rapid.Int64Range(-200, 200).Draw(t, "jump")),
			})
		}
		want := scanTicks(t, drift, interval, end, changes)
		got := driveTicks(t, drift, interval, end, changes)
		if !slices.Equal(got, want) {
			t.Fatalf("ticker fired %v\nreference   %v", got, want)
		}
	})
}
