package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSummary: no shard summary file makes merge panic; what it
// refuses is a usage error (exit status 2) naming the file; and what it
// accepts writes back to JSON that reads again the same.
func FuzzParseSummary(f *testing.F) {
	dir := f.TempDir()
	for _, shard := range []string{"1/2", "2/2"} {
		path := filepath.Join(dir, strings.ReplaceAll(shard, "/", "-")+".json")
		var out, errb bytes.Buffer
		if code := execute([]string{"fuzz", "--seeds", "3", "--shard", shard, "--summary", path, "--out", dir}, &out, &errb); code != exitPass {
			f.Fatalf("fuzz --shard %s: exit %d\n%s%s", shard, code, out.String(), errb.String())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"schema_version": 1, "shard": "1/1"}`))
	f.Add([]byte(`{"schema_version": 1, "failures": [{"seed": 18446744073709551615}]}`))
	f.Add([]byte(`[{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSummary("s.json", data)
		if err != nil {
			if exitCode(err) != exitUsage || errors.Is(err, errFailed) || !strings.Contains(err.Error(), "s.json") {
				t.Fatalf("refusal is not a usage error naming the file: %v", err)
			}
			return
		}
		var once, twice bytes.Buffer
		if err := writeJSON(&once, s); err != nil {
			t.Fatal(err)
		}
		back, err := parseSummary("again.json", once.Bytes())
		if err != nil {
			t.Fatalf("an accepted summary, written back, is refused: %v\n%s", err, once.String())
		}
		if err := writeJSON(&twice, back); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("round trip changed the summary:\n%s\n%s", once.String(), twice.String())
		}
	})
}
