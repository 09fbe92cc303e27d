package checker

import (
	"math/bits"
	"slices"
)

// searcher explores one step of the incremental check: from every
// configuration, the ways to place the operation that just returned,
// possibly after other open operations and unknown ones (see
// incremental.go). Its maps are reused from step to step.
type searcher struct {
	k *keyChecker
	// ret is the slot that returned, result its OK operation.
	ret    uint8
	result *Operation
	// nodes are the configurations explored in this step, with their
	// hashes; nodes[i] was reached after an unknown operation iff
	// afterU[i]. Past smallSet of them, seen indexes them by hash.
	seen      map[uint64][]int32
	nodes     []config
	nodeHash  []uint64
	afterU    []bool
	seenInMap bool
	// out collects the configurations the step yields, deduplicated
	// alike.
	out      []config
	outHash  []uint64
	outSeen  map[uint64][]int32
	outInMap bool
	// left is the number of configurations this step may still explore.
	left      int
	exhausted bool
}

func newSearcher(k *keyChecker) *searcher {
	return &searcher{k: k, seen: map[uint64][]int32{}, outSeen: map[uint64][]int32{}}
}

// smallSet is the size up to which a step finds a configuration among
// those it has by comparing hashes one by one, which is cheaper than a
// map for the few configurations most steps have.
const smallSet = 16

func (s *searcher) reset(limit int) {
	if s.seenInMap {
		clear(s.seen)
		s.seenInMap = false
	}
	if s.outInMap {
		clear(s.outSeen)
		s.outInMap = false
	}
	s.nodes, s.nodeHash, s.afterU = s.nodes[:0], s.nodeHash[:0], s.afterU[:0]
	s.out, s.outHash = s.out[:0], s.outHash[:0]
	s.left, s.exhausted = limit, false
}

// find returns the index among cs (with hashes hs, indexed by m past
// smallSet) of a configuration equal to c with hash h and for which ok
// holds, or -1.
func find(cs []config, hs []uint64, m map[uint64][]int32, inMap bool, c *config, h uint64, ok func(int) bool) int {
	if !inMap {
		for i, x := range hs {
			if x == h && ok(i) && cs[i].equal(c) {
				return i
			}
		}
		return -1
	}
	for _, i := range m[h] {
		if ok(int(i)) && cs[i].equal(c) {
			return int(i)
		}
	}
	return -1
}

// index adds the i-th of hs to m once the set is past smallSet.
func index(hs []uint64, m map[uint64][]int32, inMap *bool) {
	n := len(hs)
	switch {
	case n == smallSet+1:
		for i, h := range hs {
			m[h] = append(m[h], int32(i))
		}
		*inMap = true
	case n > smallSet+1:
		m[hs[n-1]] = append(m[hs[n-1]], int32(n-1))
	}
}

// step returns the configurations that follow the return of slot ret
// with the OK result, or ok=false if the step ran out of its budget.
func (s *searcher) step(configs []config, ret uint8, result *Operation, limit int) ([]config, bool) {
	s.reset(limit)
	s.ret, s.result = ret, result
	for i := range configs {
		s.explore(configs[i], false)
	}
	clear(s.nodes) // release what they point to
	// The configurations outlive the step (checkpoints share them), so
	// they leave in a slice of their own; s.out is scratch.
	out := slices.Clone(s.out)
	clear(s.out)
	return out, !s.exhausted
}

// visit records c as explored and tells whether it is new.
func (s *searcher) visit(c *config, afterU bool) bool {
	h := c.hash()
	if afterU {
		h = mix(h, 0x5a)
	}
	if find(s.nodes, s.nodeHash, s.seen, s.seenInMap, c, h, func(i int) bool { return s.afterU[i] == afterU }) >= 0 {
		return false
	}
	if s.left == 0 {
		s.exhausted = true
		return false
	}
	s.left--
	s.nodes = append(s.nodes, *c)
	s.nodeHash = append(s.nodeHash, h)
	s.afterU = append(s.afterU, afterU)
	index(s.nodeHash, s.seen, &s.seenInMap)
	return true
}

func (s *searcher) emit(c config) {
	h := c.hash()
	if find(s.out, s.outHash, s.outSeen, s.outInMap, &c, h, func(int) bool { return true }) >= 0 {
		return
	}
	s.out = append(s.out, c)
	s.outHash = append(s.outHash, h)
	index(s.outHash, s.outSeen, &s.outInMap)
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
	if len(cs) <= smallSet {
		return pruneSmall(cs)
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

// pruneSmall is prune for a few configurations: every pair compared.
func pruneSmall(cs []config) []config {
	var dead uint32
	for a := range cs {
		for b := range cs {
			if a != b && dead&(1<<a) == 0 && dead&(1<<b) == 0 && cs[a].dominates(&cs[b]) {
				dead |= 1 << b
			}
		}
	}
	if dead == 0 {
		return cs
	}
	// cs is the caller's own: filter it in place.
	out := cs[:0]
	for i := range cs {
		if dead&(1<<i) == 0 {
			out = append(out, cs[i])
		}
	}
	clear(cs[len(out):])
	return out
}
