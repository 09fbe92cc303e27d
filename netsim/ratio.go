package netsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// ErrBadRatio is returned for a ratio that is not a probability.
var ErrBadRatio = errors.New("netsim: bad ratio")

// Ratio is a probability Num/Den as integers, so that no decision ever
// depends on floating-point rounding.
type Ratio struct {
	Num, Den uint32
}

// Never and Always are the certain ratios. Neither consumes a random draw.
var (
	Never  = Ratio{Num: 0, Den: 1}
	Always = Ratio{Num: 1, Den: 1}
)

// Validate reports whether r is a probability: Den > 0 and Num <= Den. The
// zero Ratio is invalid, so a forgotten field is caught rather than read as
// "never".
func (r Ratio) Validate() error {
	if r.Den == 0 {
		return fmt.Errorf("%w: %d/%d has a zero denominator", ErrBadRatio, r.Num, r.Den)
	}
	if r.Num > r.Den {
		return fmt.Errorf("%w: %d/%d is more than 1", ErrBadRatio, r.Num, r.Den)
	}
	return nil
}

// Chance reports true with probability Num/Den, drawing one bounded integer
// from rng. Certain outcomes (Num == 0 or Num == Den) draw nothing, so a
// link without faults costs no draws; a configuration is still a fixed part
// of a run, so the draw sequence remains a pure function of the seed.
// It panics on an invalid ratio: configurations are validated on entry.
func (r Ratio) Chance(rng *rand.Rand) bool {
	if r.Den == 0 || r.Num > r.Den {
		panic(fmt.Sprintf("netsim: Chance on invalid ratio %d/%d", r.Num, r.Den))
	}
	if r.Num == 0 {
		return false
	}
	if r.Num == r.Den {
		return true
	}
	return rng.Uint32N(r.Den) < r.Num
}

// IsZero reports whether r can never happen.
func (r Ratio) IsZero() bool { return r.Num == 0 }

func (r Ratio) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// fracDigitsMax bounds the decimals of a parsed decimal or percentage, so
// the denominator (100 * 10^digits at most) fits in a uint32.
const fracDigitsMax = 7

// ParseRatio parses a probability written as a fraction ("1/20"), a
// percentage ("5%", "0.25%") or a decimal ("0.05"), without floating
// point. The result is reduced to lowest terms, so "2/4" and "50%" and
// "0.5" all give 1/2 and make the same draws.
func ParseRatio(s string) (Ratio, error) {
	r, err := parseRatio(strings.TrimSpace(s))
	if err != nil {
		return Ratio{}, fmt.Errorf("%w: %q: %s", ErrBadRatio, s, err)
	}
	if err := r.Validate(); err != nil {
		return Ratio{}, fmt.Errorf("%q: %w", s, err)
	}
	g := gcd(r.Num, r.Den)
	return Ratio{Num: r.Num / g, Den: r.Den / g}, nil
}

func parseRatio(s string) (Ratio, error) {
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err := parseUint32(num)
		if err != nil {
			return Ratio{}, fmt.Errorf("numerator: %s", err)
		}
		d, err := parseUint32(den)
		if err != nil {
			return Ratio{}, fmt.Errorf("denominator: %s", err)
		}
		return Ratio{Num: n, Den: d}, nil
	}
	scale := uint64(1)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = p, 100
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" {
		return Ratio{}, errors.New("no digits after the decimal point")
	}
	if len(frac) > fracDigitsMax {
		return Ratio{}, fmt.Errorf("more than %d decimals", fracDigitsMax)
	}
	w, err := parseUint32(whole)
	if err != nil {
		return Ratio{}, err
	}
	num, den := uint64(w), scale
	for _, c := range frac {
		if c < '0' || c > '9' {
			return Ratio{}, fmt.Errorf("bad digit %q", c)
		}
		num = num*10 + uint64(c-'0')
		den *= 10
	}
	// The denominator is at most 100*10^7 < 2^32; a numerator above it is
	// rejected as more than 1, before it could be truncated.
	if num > den {
		return Ratio{}, errors.New("more than 1")
	}
	return Ratio{Num: uint32(num), Den: uint32(den)}, nil
}

// parseUint32 accepts decimal digits only: no sign, no spaces, no base
// prefix, so a ratio has one spelling per value up to reduction.
func parseUint32(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("missing number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad digit %q", c)
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q does not fit in 32 bits", s)
	}
	return uint32(v), nil
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
