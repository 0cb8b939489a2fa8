package lab

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The pulumi shim must hand every command but `up` to the real CLI: a
// misread `stack output` would feed the runbook the lab's guesses.
func TestIsPulumiUp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		up   bool
	}{
		{[]string{"up", "--yes", "-s", "standby"}, true},
		{[]string{"-s", "primary", "up", "--replace", "urn:x"}, true},
		{[]string{"--stack", "up", "stack", "output", "--json"}, false}, // a stack named "up"
		{[]string{"stack", "output", "--json", "-s", "primary"}, false},
		{[]string{"config", "set", "--path", "-s", "standby", "taskflow:database.mode", "writer"}, false},
		{[]string{"preview", "-s", "standby"}, false},
		{nil, false},
	} {
		assert.Equal(t, tc.up, isPulumiUp(tc.args), "%v", tc.args)
	}
}
