package checker

import (
	"path/filepath"
	"strings"
	"testing"
)

// feedAll reports every operation of h to a Linearizer, as
// CheckLinearizable does, but leaves the verdict untaken, so that a test
// can look at the keys' state first.
func feedAll(t *testing.T, h History, opts LinearizabilityOptions) *Linearizer {
	t.Helper()
	l := NewLinearizer(opts)
	f := feeder{l: l}
	for _, op := range h.Ops {
		if err := f.add(op); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.finish(); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWindowSearchStartsBeforeCarriedUnknowns checks where porcupine's
// search of a window with unknown operations starts, on the jepsen etcd
// register history whose search outgrows its bounds: its last certain
// state carries unknown operations, so the search starts from an earlier
// certain state, still in the log, where none is carried: each unknown
// operation is called where it was. And the verdict is the one
// expected.txt gives.
func TestWindowSearchStartsBeforeCarriedUnknowns(t *testing.T) {
	h, err := Load(filepath.Join(fixtures, "jepsen", "etcd_002.log"), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	l := feedAll(t, h, LinearizabilityOptions{Budget: testBudget})
	k := l.keys["register"]
	if k == nil || k.status != keyWindow {
		t.Fatalf("key register: %+v, want it left to porcupine", k)
	}
	if k.windowFrom.pos == 0 || !k.windowFrom.carriesUnknown() {
		t.Fatalf("the window starts at event %d, carrying unknown operations: %v; want a later state that carries some",
			k.windowFrom.pos, k.windowFrom.carriesUnknown())
	}
	from := k.fullFrom
	if from.pos >= k.windowFrom.pos || from.carriesUnknown() || !from.state.anchored() {
		t.Fatalf("porcupine's search starts at event %d (carrying unknown operations: %v), want an earlier certain state that carries none",
			from.pos, from.carriesUnknown())
	}
	unknowns := 0
	for _, op := range k.windowOps(from).ops {
		if op.Outcome == OutcomeUnknown {
			unknowns++
			if op.Invoke == op.Complete && op.Invoke == from.at {
				t.Fatalf("%v is carried into the search, called at its start", op)
			}
		}
	}
	if unknowns == 0 {
		t.Fatal("the search from the earlier state holds no unknown operation")
	}
	if res := l.Result(); res.Verdict != VerdictOK {
		t.Fatalf("etcd_002: %v, want ok", res)
	}
}

// TestWindowOutgrownIsChecked checks a window-mode key whose certain
// reads cannot restart it (an unknown put is needed to explain them) until
// it outgrows its replay window: porcupine then checks what it has, and an
// impossible read in it makes the key illegal, where without it the key
// is unknown. The same histories with room for the window are decided at
// the end.
func TestWindowOutgrownIsChecked(t *testing.T) {
	history := func(last string) History {
		ops := []Operation{
			okPut(1, "r", "a", 0, 1),
			unknown(okPut(2, "r", "b", 2, 3)),
			// Two concurrent puts: two orders, more than MaxConfigs.
			okPut(3, "r", "c", 4, 10),
			okPut(4, "r", "d", 5, 11),
			// b again: only the unknown put explains it.
			okGet(5, "r", "b", 12, 13),
		}
		for i := range int64(10) {
			ops = append(ops, okGet(5, "r", "b", 14+2*i, 15+2*i))
		}
		ops = append(ops, okGet(6, "r", last, 40, 41))
		for i := range int64(10) {
			ops = append(ops, okGet(5, "r", last, 42+2*i, 43+2*i))
		}
		return numbered(ops...)
	}
	tight := LinearizabilityOptions{Budget: testBudget, MaxConfigs: 1, ReplayWindow: 30}
	roomy := LinearizabilityOptions{Budget: testBudget, MaxConfigs: 1}
	for _, tc := range []struct {
		name string
		last string
		opts LinearizabilityOptions
		want Verdict
	}{
		{"outgrown, a stale read", "c", tight, VerdictIllegal},
		{"outgrown, no stale read", "b", tight, VerdictUnknown},
		{"room, a stale read", "c", roomy, VerdictIllegal},
		{"room, no stale read", "b", roomy, VerdictOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := history(tc.last)
			if want := porcupineVerdict(h, testBudget); want != VerdictOK && want != VerdictIllegal ||
				(want == VerdictOK) != (tc.last == "b") {
				t.Fatalf("porcupine: %v", want)
			}
			l := feedAll(t, h, tc.opts)
			k := l.keys["r"]
			if tc.opts.ReplayWindow != 0 && k.status == keyWindow {
				t.Fatalf("the window is still open after %d events", k.base+len(k.log)-k.windowFrom.pos)
			}
			res := l.Result()
			if res.Verdict != tc.want {
				t.Fatalf("%v, want %v", res, tc.want)
			}
			switch tc.want {
			case VerdictIllegal:
				if !res.Located || res.Key != "r" || res.window == nil {
					t.Fatalf("%v: not located", res)
				}
			case VerdictUnknown:
				if !strings.Contains(res.Reason, "outgrew 30 events") {
					t.Fatalf("reason %q, want the replay window named", res.Reason)
				}
			}
		})
	}
}
