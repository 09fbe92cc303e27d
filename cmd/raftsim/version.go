package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is raftsim's version; release builds set it with
// -ldflags "-X main.version=v1.2.3".
var version = "0.1.0-dev"

// buildInfo is what the binary knows about its own build.
type buildInfo struct {
	Version     string `json:"version"`
	Go          string `json:"go"`
	Platform    string `json:"platform"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.VCSRevision = s.Value
			case "vcs.time":
				b.VCSTime = s.Value
			case "vcs.modified":
				b.VCSModified = s.Value == "true"
			}
		}
	}
	return b
}

// versionString is the version reproducers record: the version, and the
// commit when the binary was built from a git checkout.
func versionString() string {
	b := readBuildInfo()
	s := b.Version
	if b.VCSRevision != "" {
		s += "+" + b.VCSRevision[:min(12, len(b.VCSRevision))]
		if b.VCSModified {
			s += "-dirty"
		}
	}
	return s
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			if g.json {
				return writeJSON(cmd.OutOrStdout(), b)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "raftsim %s (%s, %s)\n", versionString(), b.Go, b.Platform)
			if b.VCSTime != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "commit time %s\n", b.VCSTime)
			}
			return nil
		},
	}
}
