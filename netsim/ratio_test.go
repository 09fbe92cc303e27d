package netsim

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestRatioValidate(t *testing.T) {
	for _, r := range []Ratio{Never, Always, {0, 7}, {3, 7}, {7, 7}, {1, 1 << 31}} {
		if err := r.Validate(); err != nil {
			t.Errorf("%v.Validate() = %v, want nil", r, err)
		}
	}
	for _, r := range []Ratio{{}, {1, 0}, {2, 1}, {8, 7}} {
		if err := r.Validate(); !errors.Is(err, ErrBadRatio) {
			t.Errorf("%v.Validate() = %v, want ErrBadRatio", r, err)
		}
	}
}

func TestParseRatio(t *testing.T) {
	tests := []struct {
		in   string
		want Ratio
	}{
		{"1/20", Ratio{1, 20}},
		{"2/4", Ratio{1, 2}},
		{"0/5", Ratio{0, 1}},
		{"3/3", Ratio{1, 1}},
		{" 1/3 ", Ratio{1, 3}},
		{"5%", Ratio{1, 20}},
		{"100%", Ratio{1, 1}},
		{"0%", Ratio{0, 1}},
		{"12.5%", Ratio{1, 8}},
		{"0.01%", Ratio{1, 10000}},
		{"0.0000001%", Ratio{1, 1_000_000_000}},
		{"0.5", Ratio{1, 2}},
		{"0.05", Ratio{1, 20}},
		{"1", Ratio{1, 1}},
		{"0", Ratio{0, 1}},
		{"1.0", Ratio{1, 1}},
		{"4294967295/4294967295", Ratio{1, 1}},
	}
	for _, tt := range tests {
		got, err := ParseRatio(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "/", "1/", "/2", "1/0", "3/2", "-1/2", "+1/2", "1/2/3", "0x1/2", "1 /2",
		"101%", "1.5", "2", "%", ".5", "5.%", "0.00000001%", "0.12345678",
		"4294967296/4294967297", "1e-2", "5%%", "½",
	} {
		if r, err := ParseRatio(in); !errors.Is(err, ErrBadRatio) {
			t.Errorf("ParseRatio(%q) = %v, %v; want ErrBadRatio", in, r, err)
		}
	}
}

// FuzzParseRatio checks that whatever parses is a valid ratio in lowest
// terms whose String parses back to itself.
func FuzzParseRatio(f *testing.F) {
	for _, s := range []string{"1/20", "5%", "0.5", "12.5%", "0/1", "1/0", "abc", "99.9999999%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRatio(s)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRatio(%q) = %v, invalid: %v", s, r, err)
		}
		if g := gcd(r.Num, r.Den); g != 1 {
			t.Fatalf("ParseRatio(%q) = %v, not in lowest terms (gcd %d)", s, r, g)
		}
		back, err := ParseRatio(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRatio(%q) = %v, but ParseRatio(%q) = %v, %v", s, r, r.String(), back, err)
		}
	})
}

func TestChanceCertainDrawsNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		if Never.Chance(rng) || (Ratio{0, 9}).Chance(rng) {
			t.Fatal("a zero ratio happened")
		}
		if !Always.Chance(rng) || !(Ratio{9, 9}).Chance(rng) {
			t.Fatal("a certain ratio did not happen")
		}
	}
	fresh := rand.New(rand.NewPCG(1, 2))
	if a, b := rng.Uint64(), fresh.Uint64(); a != b {
		t.Fatalf("certain chances consumed draws: next value %d, fresh stream %d", a, b)
	}
}

func TestChanceFrequency(t *testing.T) {
	const seed, trials = 7, 100_000
	rng := rand.New(rand.NewPCG(seed, 0))
	hits := 0
	for range trials {
		if (Ratio{1, 4}).Chance(rng) {
			hits++
		}
	}
	// Expected 25000, standard deviation about 137: six sigmas either way.
	if hits < 24_180 || hits > 25_820 {
		t.Fatalf("seed %d: 1/4 happened %d times in %d trials", seed, hits, trials)
	}
}

func TestChancePanicsOnInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Chance on 1/0 did not panic")
		}
	}()
	Ratio{1, 0}.Chance(rand.New(rand.NewPCG(1, 1)))
}
