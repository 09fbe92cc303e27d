package sim

import (
	"testing"
	"time"

	"github.com/raftsim/raftsim/clock"
)

// availabilityGap measures from the event to the first commit of a
// leader elected at or after it, and only when a committing leader was
// there to lose.
func TestAvailabilityGap(t *testing.T) {
	ms := func(n int) clock.Time { return clock.Time(0).Add(time.Duration(n) * time.Millisecond) }
	at := ms(1000)
	cases := []struct {
		name    string
		tenures []Tenure
		gap     time.Duration
		ok      bool
	}{
		{"crash", []Tenure{{Node: 1, Term: 1, Elected: ms(10), Committed: ms(15), Ended: at},
			{Node: 2, Term: 3, Elected: ms(1150), Committed: ms(1170)}}, 170 * time.Millisecond, true},
		{"earliest of two", []Tenure{{Node: 1, Term: 1, Elected: ms(10), Committed: ms(15), Ended: ms(1010)},
			{Node: 2, Term: 2, Elected: ms(1020), Committed: ms(1030), Ended: ms(1040)},
			{Node: 3, Term: 3, Elected: ms(1060), Committed: ms(1070)}}, 30 * time.Millisecond, true},
		{"a leader that never commits does not end the gap", []Tenure{{Node: 1, Term: 1, Elected: ms(10), Committed: ms(15), Ended: at},
			{Node: 2, Term: 2, Elected: ms(1020), Ended: ms(1200)},
			{Node: 3, Term: 3, Elected: ms(1300), Committed: ms(1310)}}, 310 * time.Millisecond, true},
		{"no committing leader at the event", []Tenure{{Node: 1, Term: 1, Elected: ms(990), Committed: ms(1005)},
			{Node: 2, Term: 2, Elected: ms(1300), Committed: ms(1310)}}, 0, false},
		{"no leader after it", []Tenure{{Node: 1, Term: 1, Elected: ms(10), Committed: ms(15), Ended: at}}, 0, false},
	}
	for _, c := range cases {
		gap, ok := availabilityGap(&Result{Tenures: c.tenures}, at)
		if gap != c.gap || ok != c.ok {
			t.Errorf("%s: gap %v %v, want %v %v", c.name, gap, ok, c.gap, c.ok)
		}
	}
}
