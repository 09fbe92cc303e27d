package main

import (
	"errors"
	"strconv"
	"strings"
)

// bytesValue is a flag holding a size in bytes: a whole number with an
// optional unit, "65536", "64KiB", "64MiB", "1GiB".
type bytesValue struct {
	n *int64
}

// byteUnits are the units bytesValue accepts, longest suffix first.
var byteUnits = []struct {
	suffix string
	scale  int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// maxFlagBytes bounds a size flag: 1 TiB is past any sensible setting,
// and keeps the product with a unit far from overflow.
const maxFlagBytes = 1 << 40

func (v bytesValue) String() string {
	n := *v.n
	for _, u := range byteUnits {
		if n != 0 && n%u.scale == 0 {
			return strconv.FormatInt(n/u.scale, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (v bytesValue) Set(s string) error {
	num, scale := s, int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, scale = strings.TrimSuffix(s, u.suffix), u.scale
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > maxFlagBytes/scale {
		return errors.New("want a size from 0 to 1TiB: a whole number with an optional unit B, KiB, MiB or GiB (\"64MiB\")")
	}
	*v.n = n * scale
	return nil
}

func (v bytesValue) Type() string { return "SIZE" }
