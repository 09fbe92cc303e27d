package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
)

func newMergeCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge SUMMARY...",
		Short: "Merge the --summary files of a sharded fuzz campaign",
		Long: `Merge the summaries that 'raftsim fuzz --shard i/n --summary FILE' wrote for
every shard of one campaign into the summary of the whole campaign: the
same as an unsharded run would have written. Every shard 1/n .. n/n must
be given once, and all must come from the same campaign.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := mergeSummaries(args)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeSummaryFile(out, sum); err != nil {
					return err
				}
			}
			if g.json {
				if err := writeJSON(cmd.OutOrStdout(), sum); err != nil {
					return err
				}
			} else {
				printFuzz(cmd, sum, 0, time.Duration(0))
			}
			if sum.Result != "pass" {
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "summary", "", "write the merged JSON summary to `FILE`")
	return cmd
}

func writeSummaryFile(path string, sum *fuzzSummary) error {
	var b bytes.Buffer
	if err := writeJSON(&b, sum); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return usageErrorf("--summary: %v", err)
	}
	return nil
}

// maxSummaryBytes bounds a shard's summary file: a wrong path (a log, a
// device) ends in an error, not in exhausted memory. A summary of the
// largest campaign (maxSeedSpan seeds, a few failures each worth a line)
// is far smaller.
const maxSummaryBytes = 64 << 20

func readSummary(path string) (*fuzzSummary, error) {
	data, err := readBounded(path, maxSummaryBytes)
	if err != nil {
		return nil, err
	}
	return parseSummary(path, data)
}

// readBounded reads a regular file of at most limit bytes; anything else
// (a named pipe, a device, a larger file) is a usage error naming the
// limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("%s: %v", path, describeErr(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, usageErrorf("%s: %v", path, describeErr(err))
	}
	if !info.Mode().IsRegular() {
		return nil, usageErrorf("%s: not a regular file (%v)", path, info.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, usageErrorf("%s: %v", path, describeErr(err))
	}
	if int64(len(data)) > limit {
		return nil, usageErrorf("%s: larger than the limit of %d bytes", path, limit)
	}
	return data, nil
}

// parseSummary reads a shard's summary from data; path names it in
// errors.
func parseSummary(path string, data []byte) (*fuzzSummary, error) {
	keys, err := scanJSONKeys(data)
	if err != nil {
		return nil, usageErrorf("%s:%v (not a fuzz summary)", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s fuzzSummary
	if err := dec.Decode(&s); err != nil {
		return nil, usageErrorf("%s: not a fuzz summary: %v", path, err)
	}
	if s.SchemaVersion != schemaVersion {
		return nil, usageErrorf("%s:%s: %d, want %d (written by another raftsim version)", path, keys.at("schema_version"), s.SchemaVersion, schemaVersion)
	}
	if s.Shard == "" {
		return nil, usageErrorf("%s: not a shard's summary (no shard)", path)
	}
	if err := checkShardSummary(path, &s, keys); err != nil {
		return nil, err
	}
	return &s, nil
}

func describeErr(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// mergeSummaries joins shard summaries into the campaign's summary,
// checking that they are the shards 1/n .. n/n of one campaign.
func mergeSummaries(paths []string) (*fuzzSummary, error) {
	var parts []*fuzzSummary
	for _, p := range paths {
		s, err := readSummary(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	first := parts[0]
	merged := &fuzzSummary{SeedStart: first.SeedStart, Seeds: first.Seeds, DurationMs: first.DurationMs, StopOnFailure: first.StopOnFailure, DiskFaults: first.DiskFaults}
	var n uint64
	seen := map[uint64]string{}
	acc := make([]byte, sha256.Size)
	for k, s := range parts {
		if s.SeedStart != first.SeedStart || s.Seeds != first.Seeds || s.DurationMs != first.DurationMs || s.StopOnFailure != first.StopOnFailure || s.DiskFaults != first.DiskFaults {
			return nil, usageErrorf("%s: a different campaign from %s (seeds, start, duration, stop-on-failure or disk-faults differ)", paths[k], paths[0])
		}
		if s.Shard == "" {
			return nil, usageErrorf("%s: not a shard's summary (no shard)", paths[k])
		}
		i, sn, err := parseShard(s.Shard)
		if err != nil {
			return nil, usageErrorf("%s: %v", paths[k], err)
		}
		if n == 0 {
			n = sn
		}
		if sn != n {
			return nil, usageErrorf("%s: shard %s, but %s has %d shards", paths[k], s.Shard, paths[0], n)
		}
		if prev, dup := seen[i]; dup {
			return nil, usageErrorf("%s: shard %s is also in %s", paths[k], s.Shard, prev)
		}
		seen[i] = paths[k]
		merged.Stopped = merged.Stopped || s.Stopped
		merged.Runs += s.Runs
		merged.Failed += s.Failed
		merged.Ops += s.Ops
		merged.Disk.merge(&s.Disk)
		merged.Failures = append(merged.Failures, s.Failures...)
		merged.Inconclusive += s.Inconclusive
		merged.InconclusiveRuns = append(merged.InconclusiveRuns, s.InconclusiveRuns...)
		fp, err := hex.DecodeString(s.Fingerprint)
		if err != nil || len(fp) != sha256.Size {
			return nil, usageErrorf("%s: fingerprint %q is not a SHA-256 in hex", paths[k], s.Fingerprint)
		}
		for j := range fp {
			acc[j] ^= fp[j]
		}
	}
	for i := uint64(1); i <= n; i++ {
		if _, ok := seen[i]; !ok {
			return nil, usageErrorf("shard %d/%d is missing", i, n)
		}
	}
	bySeed := func(a, b seedResult) int { return cmp.Compare(a.Seed, b.Seed) }
	slices.SortFunc(merged.Failures, bySeed)
	slices.SortFunc(merged.InconclusiveRuns, bySeed)
	if !merged.Stopped && merged.Runs != merged.Seeds {
		return nil, usageErrorf("the shards ran %d seeds of a campaign of %d", merged.Runs, merged.Seeds)
	}
	merged.Fingerprint = hex.EncodeToString(acc)
	merged.finish()
	return merged, nil
}
