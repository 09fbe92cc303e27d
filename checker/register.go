package checker

import (
	"slices"
	"strings"
)

// This file is the key-value model as the incremental checker runs it:
// one key's state, one operation at a time, with a "tainted" state that
// stands for the effect of an unobserved unknown operation (see
// incremental.go for why that abstraction is exact).

// regState is the state of one key in a configuration of the incremental
// checker.
// Invariant: !present implies value == "" && !tainted.
// Invariant: tainted implies value == "".
type regState struct {
	present bool
	// tainted: the value contains the value of a dormant unknown
	// operation (a put or append that no read has shown yet). No read
	// and no compare-and-set can match a tainted value: every value they
	// name has been checked against the dormant operations, and one that
	// contains a dormant value wakes it (and the key is recomputed).
	tainted bool
	value   string
}

// regOut is what an operation answered in a configuration: the result a
// Get read, whether a CAS swapped.
type regOut struct {
	found, swapped, tainted bool
	output                  string
}

// regApply runs op on s: its answer and the next state. It never fails;
// whether the answer matches what the client saw is regOut.matches.
func regApply(s regState, op *Operation) (regOut, regState) {
	switch op.Kind {
	case OpGet:
		return regOut{found: s.present, output: s.value, tainted: s.tainted}, s
	case OpPut:
		return regOut{}, regState{present: true, value: op.Value}
	case OpAppend:
		if s.tainted {
			return regOut{}, s // still contains the dormant value
		}
		return regOut{}, regState{present: true, value: s.value + op.Value}
	case OpDelete:
		return regOut{}, regState{}
	case OpCAS:
		if s.present && !s.tainted && s.value == op.Expected {
			return regOut{swapped: true}, regState{present: true, value: op.Value}
		}
		return regOut{}, s
	}
	panic("checker: regApply: operation of unknown kind " + op.Kind.String())
}

// matches tells whether o is what op, an OK operation, reported.
func (o regOut) matches(op *Operation) bool {
	switch op.Kind {
	case OpGet:
		if o.tainted {
			return false
		}
		if op.FoundUnknown {
			return op.Output == o.output // a missing key reads as ""
		}
		return op.Found == o.found && op.Output == o.output
	case OpCAS:
		return op.Swapped == o.swapped
	}
	return true
}

// blindWrite tells whether op sets the state regardless of what it was.
// An unknown operation placed just before one can be left out (see P1 in
// incremental.go).
func blindWrite(k OpKind) bool { return k == OpPut || k == OpDelete }

// slotOut is the answer of an open CAS that a configuration has placed.
type slotOut struct {
	slot    uint8
	swapped bool
}

// slotObs is what an open operation that changes nothing - a Get, or a
// CAS that will turn out not to have swapped - could have observed so far
// in a configuration. Such an operation can be linearized at any point of
// its window where the state gives its answer, so it is not placed: the
// configuration keeps the states its window has seen.
type slotObs struct {
	slot uint8
	// states are the states the key was in since a Get's call, sorted.
	states []regState
	// differs: the key held a value other than a CAS's expected one
	// since its call (a tainted value always differs).
	differs bool
}

// config is one way the operations seen so far on a key can be
// linearized, reduced to what matters for the rest of the history: the
// key's state, which open operations were placed (and, for a CAS, how),
// what the unplaced observers could have seen, and which unknown
// operations were used up. Configs are never modified once built: a step
// builds new ones, so that checkpoints can share them.
//
// Invariant: outs and obs are sorted by slot; every slot in outs is in
// lin, none in obs is.
// Invariant: used is sorted (a multiset of active class IDs).
type config struct {
	st   regState
	lin  uint64
	outs []slotOut
	obs  []slotObs
	used []uint32
	// dUsed counts the dormant unknown operations placed (each taints the
	// state). Dormant operations are interchangeable until one is seen,
	// which recomputes the key, so only their number matters.
	dUsed uint32
}

func (c *config) equal(d *config) bool {
	return c.sameFuture(d) && c.dUsed == d.dUsed && slices.Equal(c.used, d.used) &&
		slices.EqualFunc(c.obs, d.obs, func(a, b slotObs) bool {
			return a.slot == b.slot && a.differs == b.differs && slices.Equal(a.states, b.states)
		})
}

// sameFuture tells whether c and d differ at most in what they used up
// and what their unplaced observers saw.
func (c *config) sameFuture(d *config) bool {
	return c.st == d.st && c.lin == d.lin && slices.Equal(c.outs, d.outs)
}

// dominates tells whether c can do everything d can: the same state and
// placed operations, observers that saw at least as much, and at most
// the unknown operations d used (each may take effect at most once, so
// having used fewer leaves more choices).
func (c *config) dominates(d *config) bool {
	if !c.sameFuture(d) || c.dUsed > d.dUsed || !subMultiset(c.used, d.used) || len(c.obs) != len(d.obs) {
		return false
	}
	for i := range c.obs {
		a, b := &c.obs[i], &d.obs[i]
		if a.slot != b.slot || b.differs && !a.differs || !subStates(b.states, a.states) {
			return false
		}
	}
	return true
}

func compareStates(a, b regState) int {
	switch {
	case a.present != b.present:
		if a.present {
			return 1
		}
		return -1
	case a.tainted != b.tainted:
		if a.tainted {
			return 1
		}
		return -1
	}
	return strings.Compare(a.value, b.value)
}

// subStates tells whether sorted a is contained in sorted b.
func subStates(a, b []regState) bool {
	for _, s := range a {
		if _, found := slices.BinarySearchFunc(b, s, compareStates); !found {
			return false
		}
	}
	return true
}

// subMultiset tells whether sorted a is contained in sorted b.
func subMultiset(a, b []uint32) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}

// countIn counts x in sorted s.
func countIn(s []uint32, x uint32) uint32 {
	i, found := slices.BinarySearch(s, x)
	if !found {
		return 0
	}
	n := uint32(0)
	for ; i < len(s) && s[i] == x; i++ {
		n++
	}
	return n
}

// withUsed returns used with x added.
func withUsed(used []uint32, x uint32) []uint32 {
	i, _ := slices.BinarySearch(used, x)
	out := make([]uint32, 0, len(used)+1)
	out = append(out, used[:i]...)
	out = append(out, x)
	return append(out, used[i:]...)
}

// hash fingerprints a config for deduplication; equal configs hash alike.
func (c *config) hash() uint64 {
	h := c.futureHash()
	h = mix(h, uint64(c.dUsed))
	for _, u := range c.used {
		h = mix(h, uint64(u))
	}
	for _, o := range c.obs {
		f := uint64(o.slot) << 1
		if o.differs {
			f |= 1
		}
		h = mix(h, f)
		for _, s := range o.states {
			h = hashState(h, s)
		}
	}
	return h
}

// futureHash covers the fields sameFuture compares.
func (c *config) futureHash() uint64 {
	h := uint64(14695981039346656037)
	h = mix(h, c.lin)
	h = hashState(h, c.st)
	for _, o := range c.outs {
		f := uint64(o.slot) << 1
		if o.swapped {
			f |= 1
		}
		h = mix(h, f)
	}
	return h
}

func hashState(h uint64, s regState) uint64 {
	flags := uint64(0)
	if s.present {
		flags |= 1
	}
	if s.tainted {
		flags |= 2
	}
	return mixString(mix(h, flags), s.value)
}

func mix(h, x uint64) uint64 {
	h ^= x
	h *= 1099511628211
	return h ^ h>>31
}

func mixString(h uint64, s string) uint64 {
	h = mix(h, uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// withState returns c moved to state st: every unplaced observer may
// have seen st. slots are the open operations.
func (c *config) withState(st regState, slots *[maxOpen]*Operation) config {
	n := *c
	n.st = st
	if len(c.obs) == 0 {
		return n
	}
	n.obs = make([]slotObs, len(c.obs))
	for i, o := range c.obs {
		n.obs[i] = o.saw(st, slots[o.slot])
	}
	return n
}

// saw returns o after its operation op could have seen st.
func (o slotObs) saw(st regState, op *Operation) slotObs {
	if op.Kind == OpCAS {
		o.differs = o.differs || !(st.present && !st.tainted && st.value == op.Expected)
		return o
	}
	i, found := slices.BinarySearchFunc(o.states, st, compareStates)
	if !found {
		o.states = slices.Insert(slices.Clone(o.states), i, st)
	}
	return o
}

// observer returns c with an observer for the open operation in slot j,
// just invoked: it has seen the current state.
func (c *config) observer(j uint8, op *Operation) config {
	n := *c
	o := slotObs{slot: j}.saw(c.st, op)
	i, _ := slices.BinarySearchFunc(c.obs, j, func(o slotObs, s uint8) int { return int(o.slot) - int(s) })
	n.obs = slices.Insert(slices.Clone(c.obs), i, o)
	return n
}

// seen tells whether the unplaced Get in slot j could have read what op,
// its OK completion, reports.
func (c *config) seen(j uint8, op *Operation) bool {
	for _, o := range c.obs {
		if o.slot != j {
			continue
		}
		for _, s := range o.states {
			if (regOut{found: s.present, output: s.value, tainted: s.tainted}).matches(op) {
				return true
			}
		}
	}
	return false
}

// differed tells whether the unplaced CAS in slot j saw a value other
// than its expected one.
func (c *config) differed(j uint8) bool {
	for _, o := range c.obs {
		if o.slot == j {
			return o.differs
		}
	}
	return false
}

// place returns c with the open CAS in slot j placed, answering swapped.
func (c *config) placeCAS(j uint8, swapped bool) config {
	n := *c
	n.lin |= 1 << j
	i, _ := slices.BinarySearchFunc(c.outs, j, func(o slotOut, s uint8) int { return int(o.slot) - int(s) })
	n.outs = slices.Insert(slices.Clone(c.outs), i, slotOut{slot: j, swapped: swapped})
	n.obs = slices.DeleteFunc(slices.Clone(c.obs), func(o slotObs) bool { return o.slot == j })
	return n
}

// recorded returns the answer c recorded for the placed CAS in slot j.
func (c *config) recorded(j uint8) (swapped, ok bool) {
	for _, o := range c.outs {
		if o.slot == j {
			return o.swapped, true
		}
	}
	return false, false
}

// drop returns c without slot j: the operation returned (or failed, or
// its client gave up) and no longer constrains the future.
func (c *config) drop(j uint8) config {
	n := *c
	n.lin &^= 1 << j
	if i := slices.IndexFunc(c.outs, func(o slotOut) bool { return o.slot == j }); i >= 0 {
		n.outs = slices.Delete(slices.Clone(c.outs), i, i+1)
	}
	if i := slices.IndexFunc(c.obs, func(o slotObs) bool { return o.slot == j }); i >= 0 {
		n.obs = slices.Delete(slices.Clone(c.obs), i, i+1)
	}
	return n
}
