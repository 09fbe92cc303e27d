package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/raftsim/raftsim/netsim"
)

// The value syntaxes of a scenario file. Each parse function has a format
// function that writes what it reads, so Encode output parses back to the
// same value.

// parseDuration reads a Go duration ("150ms", "1.5s"). Negative durations
// are allowed only where the caller says so (clock jumps).
func parseDuration(s string, negative bool) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"150ms\" or \"2s\"", s)
	}
	if d < 0 && !negative {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// formatDuration writes d as Go does, but with "us" for microseconds, so
// files stay ASCII.
func formatDuration(d time.Duration) string { return strings.ReplaceAll(d.String(), "µs", "us") }

// rangeSep separates the bounds of a range: "1ms..5ms".
const rangeSep = ".."

// parseRange reads "A..B" or a single duration "A" (meaning A..A).
func parseRange(s string) (lo, hi time.Duration, single bool, err error) {
	a, b, isRange := strings.Cut(s, rangeSep)
	if lo, err = parseDuration(a, false); err != nil {
		return 0, 0, false, err
	}
	if !isRange {
		return lo, lo, true, nil
	}
	if hi, err = parseDuration(b, false); err != nil {
		return 0, 0, false, err
	}
	if hi < lo {
		return 0, 0, false, fmt.Errorf("%q: the upper bound is below the lower bound", s)
	}
	return lo, hi, false, nil
}

func formatRange(lo, hi time.Duration) string {
	if lo == hi {
		return formatDuration(lo)
	}
	return formatDuration(lo) + rangeSep + formatDuration(hi)
}

// parseRatio reads a probability: "5%", "1/20" (or "0.05"), never a TOML
// float. The result is in lowest terms (netsim.ParseRatio reduces it),
// which is the only form Encode writes, so ratios round-trip exactly.
func parseRatio(s string) (netsim.Ratio, error) {
	r, err := netsim.ParseRatio(s)
	if err != nil {
		// netsim's message repeats the input and its sentinel; ours
		// names the field already.
		var msg string
		switch {
		case errors.Is(err, netsim.ErrBadRatio) && strings.Contains(err.Error(), "more than 1"):
			msg = fmt.Sprintf("%q is more than 1 (100%%)", s)
		default:
			msg = fmt.Sprintf("%q is not a probability such as \"5%%\" or \"1/20\"", s)
		}
		return netsim.Ratio{}, errors.New(msg)
	}
	return r, nil
}

// formatRatio writes a percentage when it is exact, else a fraction.
func formatRatio(r netsim.Ratio) string {
	if r.Num == 0 {
		return "0%"
	}
	if r.Den != 0 && (uint64(r.Num)*100)%uint64(r.Den) == 0 {
		return fmt.Sprintf("%d%%", uint64(r.Num)*100/uint64(r.Den))
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}

// reduced returns r in lowest terms, the form parseRatio yields.
func reduced(r netsim.Ratio) netsim.Ratio {
	a, b := r.Num, r.Den
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return r
	}
	return netsim.Ratio{Num: r.Num / a, Den: r.Den / a}
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
