package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteUnits are the size suffixes a scenario file may use, binary and
// decimal, longest first so that "KiB" is not read as "B".
var byteUnits = []struct {
	suffix string
	size   uint64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

// parseBytes reads a size: a whole number and a unit, "16KiB", "1MB",
// "512B".
func parseBytes(s string) (uint64, error) {
	for _, u := range byteUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || num == "" || num[0] == '+' {
			return 0, fmt.Errorf("%q is not a size: a whole number and a unit, such as \"16KiB\" or \"1MB\"", s)
		}
		if n > math.MaxUint64/u.size {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return n * u.size, nil
	}
	return 0, fmt.Errorf("%q has no unit: write \"16KiB\", \"1MB\" or \"512B\"", s)
}

// formatBytes writes a size in the largest binary unit that divides it.
func formatBytes(n uint64) string {
	for _, u := range byteUnits[:3] {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

// parseBandwidth reads bytes per second: a size and "/s", "1MiB/s".
func parseBandwidth(s string) (uint64, error) {
	size, ok := strings.CutSuffix(s, "/s")
	if !ok {
		return 0, fmt.Errorf("%q is not a bandwidth: a size per second, such as \"1MiB/s\"", s)
	}
	return parseBytes(size)
}

func (t *table) bytes(key string, dst *uint64) {
	s, ok := t.text(key, `a size string such as "16KiB"`)
	if !ok {
		return
	}
	n, err := parseBytes(s)
	if err != nil {
		t.fail(key, "%v", err)
		return
	}
	*dst = n
}

func (t *table) bandwidth(key string, dst *uint64) {
	s, ok := t.text(key, `a bandwidth string such as "1MiB/s"`)
	if !ok {
		return
	}
	n, err := parseBandwidth(s)
	if err != nil {
		t.fail(key, "%v", err)
		return
	}
	*dst = n
}
