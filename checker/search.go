package checker

import "math/bits"

// searcher explores one step of the incremental check: from every
// configuration, the ways to place the operation that just returned,
// possibly after other open operations and unknown ones (see
// incremental.go). Its maps are reused from step to step.
type searcher struct {
	k *keyChecker
	// ret is the slot that returned, result its OK operation.
	ret    uint8
	result *Operation
	// seen holds the configurations explored in this step, by hash;
	// nodes[i] is the i-th, reached after an unknown operation iff
	// afterU[i].
	seen   map[uint64][]int32
	nodes  []config
	afterU []bool
	// out collects the configurations the step yields, deduplicated.
	out     []config
	outSeen map[uint64][]int32
	// left is the number of configurations this step may still explore.
	left      int
	exhausted bool
}

func newSearcher(k *keyChecker) *searcher {
	return &searcher{k: k, seen: map[uint64][]int32{}, outSeen: map[uint64][]int32{}}
}

func (s *searcher) reset(limit int) {
	clear(s.seen)
	clear(s.outSeen)
	s.nodes, s.afterU, s.out = s.nodes[:0], s.afterU[:0], nil
	s.left, s.exhausted = limit, false
}

// step returns the configurations that follow the return of slot ret
// with the OK result, or ok=false if the step ran out of its budget.
func (s *searcher) step(configs []config, ret uint8, result *Operation, limit int) ([]config, bool) {
	s.reset(limit)
	s.ret, s.result = ret, result
	for i := range configs {
		s.explore(configs[i], false)
	}
	s.nodes, s.afterU = s.nodes[:0], s.afterU[:0] // release what they point to
	return s.out, !s.exhausted
}

// visit records c as explored and tells whether it is new.
func (s *searcher) visit(c *config, afterU bool) bool {
	h := c.hash()
	if afterU {
		h = mix(h, 0x5a)
	}
	for _, i := range s.seen[h] {
		if s.afterU[i] == afterU && s.nodes[i].equal(c) {
			return false
		}
	}
	if s.left == 0 {
		s.exhausted = true
		return false
	}
	s.left--
	s.seen[h] = append(s.seen[h], int32(len(s.nodes)))
	s.nodes = append(s.nodes, *c)
	s.afterU = append(s.afterU, afterU)
	return true
}

func (s *searcher) emit(c config) {
	h := c.hash()
	for _, i := range s.outSeen[h] {
		if s.out[i].equal(&c) {
			return
		}
	}
	s.outSeen[h] = append(s.outSeen[h], int32(len(s.out)))
	s.out = append(s.out, c)
}

// explore places, from c, the returning operation now, or first another
// open operation or an active unknown one. afterU says that c was reached
// by placing an unknown operation last (P1: a blind write may not follow).
func (s *searcher) explore(c config, afterU bool) {
	if s.exhausted || !s.visit(&c, afterU) {
		return
	}
	i, op := s.ret, s.result
	if c.lin&(1<<i) != 0 {
		// Placed earlier: a CAS's answer must be the one it gave. Nothing
		// else needs placing before its return (JIT).
		if swapped, ok := c.recorded(i); ok && swapped != op.Swapped {
			return
		}
		s.emit(c.drop(i))
		return
	}
	switch {
	case op.Kind == OpGet && c.seen(i, op), op.Kind == OpCAS && !op.Swapped && c.differed(i):
		// An observer whose answer its window has seen: whatever else is
		// placed now can as well be placed at the next step (P3).
		s.emit(c.drop(i))
		return
	case op.Kind == OpCAS:
		s.placeReturningCAS(&c)
	case op.Kind != OpGet && !(afterU && blindWrite(op.Kind)):
		_, st := regApply(c.st, op)
		n := c.withState(st, &s.k.slots)
		s.emit(n.drop(i))
	}
	for open := s.k.openMask &^ c.lin &^ (1 << i); open != 0; open &= open - 1 {
		s.placeOpen(&c, uint8(bits.TrailingZeros64(open)), afterU)
	}
	for _, id := range s.k.classIDs {
		cl := s.k.classes[id]
		if cl.total <= countIn(c.used, id) {
			continue
		}
		_, st := regApply(c.st, &cl.op)
		if st == c.st {
			continue // P2: no effect, so leaving it out changes nothing
		}
		n := c.withState(st, &s.k.slots)
		n.used = withUsed(c.used, id)
		// P1 holds only if nothing could have seen the state between the
		// unknown operation and the blind write: no open observer.
		s.explore(n, len(c.obs) == 0)
	}
}

// placeReturningCAS places the returning CAS now: it swaps if the state
// holds its expected value; if it reports no swap there, a dormant
// unknown operation placed just before may have changed the value (P6).
func (s *searcher) placeReturningCAS(c *config) {
	op := s.result
	out, st := regApply(c.st, op)
	switch {
	case out.swapped && op.Swapped:
		n := c.withState(st, &s.k.slots)
		s.emit(n.drop(s.ret))
	case out.swapped && c.dUsed < s.k.dormantCount:
		n := c.withState(taintedState, &s.k.slots)
		n.dUsed++
		s.emit(n.drop(s.ret))
	}
}

// taintedState is the state after a dormant operation took effect.
var taintedState = regState{present: true, tainted: true}

// placeOpen places the open operation in slot j before the returning one
// and explores on. A Get is never placed (its observer stands for it),
// nor a CAS where it would not swap unless a dormant operation makes it
// so (a CAS that does not swap changes nothing; its observer stands for
// it too).
func (s *searcher) placeOpen(c *config, j uint8, afterU bool) {
	op := s.k.slots[j]
	switch {
	case op.Kind == OpGet:
	case op.Kind == OpCAS:
		out, st := regApply(c.st, op)
		if !out.swapped {
			return
		}
		n := c.placeCAS(j, true)
		s.explore(n.withState(st, &s.k.slots), false)
		if c.dUsed < s.k.dormantCount {
			n := c.placeCAS(j, false)
			n.dUsed++
			s.explore(n.withState(taintedState, &s.k.slots), false)
		}
	case !(afterU && blindWrite(op.Kind)):
		_, st := regApply(c.st, op)
		n := c.withState(st, &s.k.slots)
		n.lin |= 1 << j
		s.explore(n, false)
	}
}

// prune removes the configurations another one dominates (the same
// future with fewer unknown operations used up), keeping the first of
// equal ones. The order of the rest is kept.
func prune(cs []config) []config {
	if len(cs) < 2 {
		return cs
	}
	groups := map[uint64][]int32{}
	for i := range cs {
		h := cs[i].futureHash()
		groups[h] = append(groups[h], int32(i))
	}
	dead := make([]bool, len(cs))
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		for _, a := range g {
			for _, b := range g {
				if a == b || dead[a] || dead[b] {
					continue
				}
				if cs[a].dominates(&cs[b]) {
					dead[b] = true
				}
			}
		}
	}
	out := cs[:0:0]
	for i := range cs {
		if !dead[i] {
			out = append(out, cs[i])
		}
	}
	return out
}
