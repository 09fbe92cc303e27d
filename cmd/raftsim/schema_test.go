package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateJSON validates the JSON output of a command against the schema
// schema/NAME.v1.json, and returns the validator's error.
func validateJSON(t *testing.T, name, out string) error {
	t.Helper()
	path := filepath.Join("schema", name+".v1.json")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%s output is not JSON: %v\n%s", name, err, out)
	}
	return sch.Validate(doc)
}

// mustValidate fails the test unless out validates against the schema.
func mustValidate(t *testing.T, name, out string) {
	t.Helper()
	if err := validateJSON(t, name, out); err != nil {
		t.Fatalf("%s output does not match schema/%s.v1.json: %v\n%s", name, name, err, out)
	}
}

// Real outputs of every machine-readable command validate against their
// schemas: passing, failing and stopped runs, campaigns, histories.
// scriptFailing is a scenario whose timeline misses a target, whose
// wait times out and whose checks fail: every kind of scenario failure.
const scriptFailing = `
nodes = 3
duration = "2s"
heal_duration = "1s"
[liveness]
leader_within = "1s"
progress_within = "1s"
[[timeline]]
at = "0s"
action = "crash"
leader = true
require = true
[[timeline]]
at = "500ms"
action = "isolate"
nodes = [1, 2]
as = "cut"
[[timeline]]
after = "0s"
wait = "leader"
within = "500ms"
[[check]]
no_commit = true
[[check]]
leader_within = "200ms"
from = "cut"
`

func TestJSONOutputsMatchTheirSchemas(t *testing.T) {
	dir := t.TempDir()
	type call struct {
		schema string
		args   []string
	}
	calls := []call{
		{"run", []string{"run", "--json", "--out", dir}},
		{"run", []string{"run", "--json", "--scenario", "lease-clock-drift", "--out", dir}},
		{"run", []string{"run", "--json", "--scenario", "figure-8", "--seed", "3", "--budget", "1ns", "--out", dir}},
		{"fuzz", []string{"fuzz", "--json", "--seeds", "3", "--workers", "1", "--out", dir}},
		{"fuzz", []string{"fuzz", "--json", "--seeds", "2", "--seed-start", "40", "--workers", "1", "--budget", "1ns", "--out", dir}},
		{"fuzz", []string{"fuzz", "--json", "--seeds", "4", "--shard", "2/2", "--workers", "1", "--out", dir}},
		{"fuzz", []string{"fuzz", "--json", "--seeds", "3", "--disk-faults", "always", "--workers", "1", "--out", dir}},
		{"check", []string{"check", "--json", "../../testdata/jepsen/kv-ok.edn"}},
		{"check", []string{"check", "--json", "--html", filepath.Join(dir, "v.html"), "../../testdata/jepsen/register-stale-read.edn"}},
		{"replay", []string{"replay", "--json", filepath.Join(dir, "lease-clock-drift-seed-1.toml")}},
		{"run", []string{"run", "--json", "--scenario", "leader-isolated-proposals", "--out", dir}},
		{"run", []string{"run", "--json", "--scenario", writeFile(t, dir, "checks.toml", scriptFailing), "--out", dir}},
	}
	for _, c := range calls {
		out, errs, code := cli(t, c.args...)
		if code == exitUsage {
			t.Fatalf("raftsim %s: exit 2: %s", strings.Join(c.args, " "), errs)
		}
		mustValidate(t, c.schema, out)
		var v struct {
			SchemaVersion *int `json:"schema_version"`
		}
		if json.Unmarshal([]byte(out), &v); v.SchemaVersion == nil || *v.SchemaVersion != schemaVersion {
			t.Fatalf("raftsim %s: schema_version %v, want %d", strings.Join(c.args, " "), v.SchemaVersion, schemaVersion)
		}
	}
}

// The schemas reject what they must: a missing field, a field of another
// type, an unknown field, an unknown verdict.
func TestSchemasRejectBadOutputs(t *testing.T) {
	out, _, _ := cli(t, "run", "--json", "--scenario", "lease-clock-drift", "--out", t.TempDir())
	mustValidate(t, "run", out)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	mutations := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"missing ops_open", func(m map[string]any) { delete(m, "ops_open") }, "ops_open"},
		{"expected as prose", func(m map[string]any) { m["expected"] = "pass" }, "expected"},
		{"linearizability as prose", func(m map[string]any) { m["linearizability"] = "ok" }, "linearizability"},
		{"unknown verdict", func(m map[string]any) { m["linearizability"].(map[string]any)["verdict"] = "fine" }, "verdict"},
		{"unknown field", func(m map[string]any) { m["extra"] = 1 }, "extra"},
		{"negative count", func(m map[string]any) { m["ops"] = -1 }, "ops"},
		{"another version", func(m map[string]any) { m["schema_version"] = 2 }, "schema_version"},
		{"short digest", func(m map[string]any) { m["trace_digest"] = "abc" }, "trace_digest"},
	}
	for _, mu := range mutations {
		t.Run(mu.name, func(t *testing.T) {
			var m map[string]any
			b, _ := json.Marshal(doc)
			json.Unmarshal(b, &m)
			mu.mutate(m)
			b, _ = json.Marshal(m)
			err := validateJSON(t, "run", string(b))
			if err == nil || !strings.Contains(err.Error(), mu.want) {
				t.Fatalf("got %v, want a validation error naming %q", err, mu.want)
			}
		})
	}
}

// Every schema file is valid JSON Schema and names its own file.
func TestSchemaFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("schema", "*.v1.json"))
	if len(files) != 6 {
		t.Fatalf("schema files: %v, want run, run-seeds, fuzz, check, replay, selftest", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(data, &s); err != nil || !strings.HasSuffix(s.ID, "/schema/"+filepath.Base(f)) {
			t.Fatalf("%s: $id %q, %v", f, s.ID, err)
		}
		if _, err := jsonschema.NewCompiler().Compile(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
