package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskflow/taskflow-dr/config"
	"github.com/taskflow/taskflow-dr/outputs"
)

// TestRunbookFixturesMatchTheOutputTable: the bats fixtures are what `pulumi
// stack output --json` prints for each stack in the normal phase; they must
// hold exactly the outputs the program declares, or the runbook is tested
// against an API the program does not have.
func TestRunbookFixturesMatchTheOutputTable(t *testing.T) {
	for _, tc := range []struct {
		stack string
		role  config.Role
		mode  config.DatabaseMode
	}{{"primary", config.RolePrimary, config.ModeWriter}, {"standby", config.RoleStandby, config.ModeReplica}} {
		raw, err := os.ReadFile("runbooks/test/fixtures/" + tc.stack + ".json")
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.Unmarshal(raw, &got))
		require.NoError(t, outputs.Check(tc.role, tc.mode, got), "runbooks/test/fixtures/%s.json", tc.stack)
	}
}
