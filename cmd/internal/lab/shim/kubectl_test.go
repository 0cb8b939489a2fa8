package shim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runbook passes --request-timeout to every kubectl call; the lab's
// kubectl must take it, and refuse what client-go refuses.
func TestParseKubectlRequestTimeout(t *testing.T) {
	for arg, want := range map[string]time.Duration{
		"--request-timeout=20s": 20 * time.Second,
		"--request-timeout=5":   5 * time.Second,
		"--request-timeout=0":   0,
	} {
		k, err := parseKubectl([]string{"get", "nodes", arg})
		require.NoError(t, err, arg)
		assert.Equal(t, want, k.requestTimeout, arg)
		assert.Equal(t, []string{"get", "nodes"}, k.words, arg)
	}
	k, err := parseKubectl([]string{"--request-timeout", "1m", "get", "nodes"})
	require.NoError(t, err)
	assert.Equal(t, time.Minute, k.requestTimeout)

	for _, bad := range []string{"--request-timeout=-1s", "--request-timeout=soon", "--request-timeout"} {
		_, err := parseKubectl([]string{"get", "nodes", bad})
		assert.Error(t, err, bad)
	}
}

// The runbook counts the Ready nodes of one node group with -l; a selector
// the lab ignored would count every node in the cluster.
func TestParseSelector(t *testing.T) {
	labels := map[string]string{"eks.amazonaws.com/nodegroup": "ng-a", "kubernetes.io/hostname": "ip-10-0-1-1"}
	for sel, want := range map[string]bool{
		"":                                   true,
		"eks.amazonaws.com/nodegroup=ng-a":   true,
		"eks.amazonaws.com/nodegroup==ng-a":  true,
		"eks.amazonaws.com/nodegroup=ng-b":   false,
		"eks.amazonaws.com/nodegroup!=ng-a":  false,
		"eks.amazonaws.com/nodegroup,!other": true,
		"other":                              false,
		"eks.amazonaws.com/nodegroup=ng-a,kubernetes.io/hostname=x": false,
	} {
		match, err := parseSelector(sel)
		require.NoError(t, err, sel)
		assert.Equal(t, want, match(labels), sel)
	}
	_, err := parseSelector("env in (a,b)")
	assert.Error(t, err, "set-based selectors are refused, not ignored")

	k, err := parseKubectl([]string{"get", "nodes", "-l", "eks.amazonaws.com/nodegroup=ng-a", "--no-headers"})
	require.NoError(t, err)
	assert.Equal(t, "eks.amazonaws.com/nodegroup=ng-a", k.selector)
	assert.True(t, k.noHeaders)
}
