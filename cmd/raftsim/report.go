package main

import "github.com/spf13/cobra"

// addReportCommand is where the `report` command (the reports issue) joins
// the command tree. It adds nothing yet.
func addReportCommand(root *cobra.Command, g *globals) {
	_, _ = root, g
}
