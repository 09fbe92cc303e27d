package clock

import (
	"math"
	"testing"
	"time"
)

func TestTimeString(t *testing.T) {
	tests := []struct {
		t    Time
		want string
	}{
		{0, "0.000000000s"},
		{1, "0.000000001s"},
		{Time(12345678901), "12.345678901s"},
		{Time(time.Second), "1.000000000s"},
		{Time(-500), "-0.000000500s"},
		{Time(-3 * time.Second), "-3.000000000s"},
		{Time(math.MinInt64), "-9223372036.854775808s"},
		{Never, "never"},
		{Time(time.Hour), "3600.000000000s"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("Time(%d).String() = %q, want %q", int64(tt.t), got, tt.want)
		}
	}
}

func TestTimeAddSub(t *testing.T) {
	tests := []struct {
		t    Time
		d    time.Duration
		want Time
	}{
		{0, time.Second, Time(time.Second)},
		{Time(time.Second), -time.Second, 0},
		{5, -10, -5},
		{math.MaxInt64 - 1, 1, math.MaxInt64},
		{math.MinInt64 + 1, -1, math.MinInt64},
	}
	for _, tt := range tests {
		got := tt.t.Add(tt.d)
		if got != tt.want {
			t.Errorf("%d.Add(%d) = %d, want %d", int64(tt.t), int64(tt.d), int64(got), int64(tt.want))
		}
		if back := got.Sub(tt.t); back != tt.d {
			t.Errorf("%d.Sub(%d) = %d, want %d", int64(got), int64(tt.t), int64(back), int64(tt.d))
		}
	}
	if d := Time(time.Minute).Duration(); d != time.Minute {
		t.Errorf("Duration() = %v, want 1m", d)
	}
}

func TestTimeOverflowPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"add positive", func() { Time(math.MaxInt64).Add(1) }},
		{"add negative", func() { Time(math.MinInt64).Add(-1) }},
		{"sub positive", func() { Time(math.MaxInt64).Sub(-1) }},
		{"sub negative", func() { Time(math.MinInt64).Sub(1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("%s did not panic", tt.name)
				}
			}()
			tt.f()
		})
	}
}
