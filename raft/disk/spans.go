package disk

import "sort"

// span is the byte range [lo, hi) of a file.
type span struct{ lo, hi int64 }

// spans is a set of byte ranges, kept sorted, disjoint and merged.
// Invariant: s[i].lo < s[i].hi < s[i+1].lo.
type spans []span

// add inserts [lo, hi).
func (s spans) add(lo, hi int64) spans {
	if lo >= hi {
		return s
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= lo })
	j := i
	for j < len(s) && s[j].lo <= hi {
		lo, hi = min(lo, s[j].lo), max(hi, s[j].hi)
		j++
	}
	out := append(s[:i:i], span{lo, hi})
	return append(out, s[j:]...)
}

// remove takes [lo, hi) out of the set.
func (s spans) remove(lo, hi int64) spans {
	if lo >= hi || len(s) == 0 {
		return s
	}
	var out spans
	for _, sp := range s {
		if sp.hi <= lo || sp.lo >= hi {
			out = append(out, sp)
			continue
		}
		if sp.lo < lo {
			out = append(out, span{sp.lo, lo})
		}
		if sp.hi > hi {
			out = append(out, span{hi, sp.hi})
		}
	}
	return out
}

// overlaps reports whether any byte of [lo, hi) is in the set.
func (s spans) overlaps(lo, hi int64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi > lo })
	return i < len(s) && s[i].lo < hi
}

// covers reports whether every byte of [lo, hi) is in the set.
func (s spans) covers(lo, hi int64) bool {
	if lo >= hi {
		return true
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].hi > lo })
	return i < len(s) && s[i].lo <= lo && s[i].hi >= hi
}

// bytes is the number of bytes in the set.
func (s spans) bytes() int64 {
	var n int64
	for _, sp := range s {
		n += sp.hi - sp.lo
	}
	return n
}

// nth returns the offset of the k-th byte of the set, counting from 0;
// k must be below bytes().
func (s spans) nth(k int64) int64 {
	for _, sp := range s {
		if k < sp.hi-sp.lo {
			return sp.lo + k
		}
		k -= sp.hi - sp.lo
	}
	panic("disk: spans.nth past the end")
}

func sortStrings(s []string) { sort.Strings(s) }
