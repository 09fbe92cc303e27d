package main

import (
	"errors"
	"iter"
	"strconv"
	"strings"
)

// Seed sets on the command line: --seeds N runs N seeds from --seed-start
// (default 1), as fuzz always has; --seeds A..B runs A to B, both
// included, and takes no --seed-start.

// maxSeedSpan bounds the seeds one command runs; a mistyped range ends
// in an error rather than in a campaign of years.
const maxSeedSpan = 100_000_000

// seedSpan is a run of consecutive seeds.
type seedSpan struct {
	start, count uint64
}

// last is the span's last seed.
func (s seedSpan) last() uint64 { return s.start + s.count - 1 }

// parseSeedSpan reads the value of --seeds; start is --seed-start, and
// startSet says it was given.
func parseSeedSpan(spec string, start uint64, startSet bool) (seedSpan, error) {
	a, b, isRange := strings.Cut(spec, "..")
	if !isRange {
		n, err := strconv.ParseUint(strings.TrimSpace(spec), 10, 64)
		if err != nil || n == 0 {
			return seedSpan{}, usageErrorf("--seeds: %q is not a count of seeds (N) or a range (A..B)", spec)
		}
		return checkSpan(seedSpan{start: start, count: n}, spec)
	}
	if startSet {
		return seedSpan{}, usageErrorf("--seeds %s names its first seed: leave out --seed-start", spec)
	}
	lo, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	hi, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil {
		return seedSpan{}, usageErrorf("--seeds: %q is not a range of seeds such as 1..200", spec)
	}
	if hi < lo {
		return seedSpan{}, usageErrorf("--seeds: %q ends before it starts", spec)
	}
	if hi-lo >= maxSeedSpan {
		return seedSpan{}, usageErrorf("--seeds: %q is more than %d seeds", spec, maxSeedSpan)
	}
	return seedSpan{start: lo, count: hi - lo + 1}, nil
}

func checkSpan(s seedSpan, spec string) (seedSpan, error) {
	if s.count > maxSeedSpan {
		return seedSpan{}, usageErrorf("--seeds: %s is more than %d seeds", spec, maxSeedSpan)
	}
	if s.start+s.count-1 < s.start {
		return seedSpan{}, usageErrorf("--seeds: %s seeds from %d run past the largest seed", spec, s.start)
	}
	return s, nil
}

// seeds is the span's seeds, as a sequence.
func (s seedSpan) seeds() seedSeq { return seedSeq{first: s.start, step: 1, count: s.count} }

// seedSeq is a campaign's seeds, or a shard's: count seeds from first,
// step apart. A seed is computed when it is needed, so that a campaign of
// maxSeedSpan seeds takes no memory for its list of seeds.
//
// Invariant: step >= 1, and the last seed, first+(count-1)*step, does not
// pass the largest uint64.
type seedSeq struct {
	first, step, count uint64
}

// at is the seed at position pos, which must be below count.
func (s seedSeq) at(pos uint64) uint64 { return s.first + pos*s.step }

// contains tells whether seed is one of the sequence's.
func (s seedSeq) contains(seed uint64) bool {
	return seed >= s.first && (seed-s.first)%s.step == 0 && (seed-s.first)/s.step < s.count
}

// all yields the seeds in order.
func (s seedSeq) all() iter.Seq[uint64] {
	return func(yield func(uint64) bool) {
		for pos := range s.count {
			if !yield(s.at(pos)) {
				return
			}
		}
	}
}

// seedsValue is --seeds for fuzz: a count, or a range that also sets the
// first seed. It keeps fuzz's "--seeds N --seed-start S" and accepts run's
// "--seeds A..B".
type seedsValue struct {
	count *uint64
	// start receives a range's first seed; isRange records that the value
	// was a range.
	start   *uint64
	isRange bool
	spec    string
}

func (v *seedsValue) String() string {
	if v.count == nil {
		return ""
	}
	return strconv.FormatUint(*v.count, 10)
}

func (v *seedsValue) Set(s string) error {
	span, err := parseSeedSpan(s, 1, false)
	if err != nil {
		// The flag package names the flag already.
		return errors.New(strings.TrimPrefix(err.Error(), "--seeds: "))
	}
	*v.count = span.count
	v.spec = s
	v.isRange = strings.Contains(s, "..")
	if v.isRange {
		*v.start = span.start
	}
	return nil
}

func (v *seedsValue) Type() string { return "N|A..B" }
