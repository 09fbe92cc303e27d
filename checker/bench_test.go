package checker

import "testing"

// BenchmarkCheckLinearizable checks a generated linearizable history of
// 10,000 operations from 50 clients over 100 keys, 2% of them with an
// unknown outcome and 1% failed. Target: under a second per check.
func BenchmarkCheckLinearizable(b *testing.B) {
	h := genLinearizable(genConfig{seed: 1, ops: 10_000, clients: 50, keys: 100, unknownPer1000: 20, failPer1000: 10})
	b.ReportAllocs()
	for b.Loop() {
		res, err := CheckLinearizable(h, LinearizabilityOptions{Budget: testBudget})
		if err != nil || res.Verdict != VerdictOK {
			b.Fatalf("generated history: %v, %v", res, err)
		}
	}
}

// BenchmarkParseKV measures import of porcupine's largest key-value log.
func BenchmarkParseKV(b *testing.B) {
	for b.Loop() {
		if _, err := Load(fixtures+"/kv/c50-ok.txt", FormatAuto); err != nil {
			b.Fatal(err)
		}
	}
}
