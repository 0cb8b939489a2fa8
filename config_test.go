package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withValue returns a copy of a stack config with one key changed: path is
// "taskflow:key" for a scalar or "taskflow:key.field" inside an object;
// value nil deletes it.
func withValue(t *testing.T, cfg map[string]string, path string, value any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range cfg {
		out[k] = v
	}
	key, field := path, ""
	for i := len("taskflow:"); i < len(path); i++ {
		if path[i] == '.' {
			key, field = path[:i], path[i+1:]
			break
		}
	}
	if field == "" {
		if value == nil {
			delete(out, key)
		} else {
			out[key] = value.(string)
		}
		return out
	}
	obj := map[string]any{}
	if raw, ok := out[key]; ok {
		require.NoError(t, json.Unmarshal([]byte(raw), &obj))
	}
	if value == nil {
		delete(obj, field)
	} else {
		obj[field] = value
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	out[key] = string(b)
	return out
}

// TestBadConfigFailsBeforeAnyResource: each bad value fails the run with a
// message naming the key, and the engine saw no resource at all.
func TestBadConfigFailsBeforeAnyResource(t *testing.T) {
	primary := stackConfig(t, "primary")
	standby := stackConfig(t, "standby")
	cases := []struct {
		name      string
		stack     string
		cfg       map[string]string
		wantKey   string
		wantWords string
	}{
		{"role not primary|standby", "primary", withValue(t, primary, "taskflow:role", "main"), "taskflow:role", "primary or standby"},
		{"region malformed", "primary", withValue(t, primary, "taskflow:region", "Ireland"), "taskflow:region", "AWS region"},
		{"region equal to the peer's", "primary", withValue(t, primary, "taskflow:peer.region", "eu-west-1"), "taskflow:peer.region", "must differ"},
		{"peer stack missing", "primary", withValue(t, primary, "taskflow:peer.stack", nil), "taskflow:peer.stack", "required"},
		{"peer stack malformed", "primary", withValue(t, primary, "taskflow:peer.stack", "org/proj/stack/extra"), "taskflow:peer.stack", "org/project/stack"},
		{"peer stack is this stack", "primary", withValue(t, primary, "taskflow:peer.stack", "organization/taskflow-dr/primary"), "taskflow:peer.stack", "other stack"},
		{"domain malformed", "primary", withValue(t, primary, "taskflow:domain", "Taskflow_Example"), "taskflow:domain", "hosted zone"},
		{"app host outside the domain", "primary", withValue(t, primary, "taskflow:appHost", "app.other.example"), "taskflow:appHost", "inside taskflow:domain"},
		{"cidr malformed", "primary", withValue(t, primary, "taskflow:network.cidr", "10.10.0.0"), "taskflow:network.cidr", "IPv4 CIDR"},
		{"cidr smaller than /20", "primary", withValue(t, primary, "taskflow:network.cidr", "10.10.0.0/24"), "taskflow:network.cidr", "between /16 and /20"},
		{"cidr overlapping the peer's", "primary", withValue(t, primary, "taskflow:network.cidr", "10.20.0.0/18"), "taskflow:network.cidr", "overlaps"},
		{"az outside the region", "primary", withValue(t, primary, "taskflow:network.azs", []string{"eu-west-1a", "eu-west-1b", "eu-central-1c"}), "taskflow:network.azs", "not in taskflow:region"},
		{"nat layout unknown", "primary", withValue(t, primary, "taskflow:network.natGateways", "none"), "taskflow:network.natGateways", "perAz or single"},
		{"min > desired", "primary", withValue(t, primary, "taskflow:cluster.minSize", 5), "taskflow:cluster.minSize", "<= cluster.desiredSize"},
		{"desired > max", "primary", withValue(t, primary, "taskflow:cluster.desiredSize", 9), "taskflow:cluster.desiredSize", "<= cluster.maxSize"},
		{"zero-node cluster", "primary", withValue(t, withValue(t, primary, "taskflow:cluster.minSize", 0), "taskflow:cluster.desiredSize", 0), "taskflow:cluster.desiredSize", "zero-node"},
		{"failover smaller than normal", "standby", withValue(t, standby, "taskflow:cluster.failoverDesiredSize", 1), "taskflow:cluster.failoverDesiredSize", "never shrinks"},
		{"scale unknown", "standby", withValue(t, standby, "taskflow:cluster.scale", "huge"), "taskflow:cluster.scale", "normal or failover"},
		{"database mode unknown", "standby", withValue(t, standby, "taskflow:database.mode", "primary"), "taskflow:database.mode", "writer or replica"},
		{"writer without backups", "primary", withValue(t, primary, "taskflow:database.backupRetentionDays", 0), "taskflow:database.backupRetentionDays", "at least 1 for a writer"},
		{"ttl zero", "primary", withValue(t, primary, "taskflow:dns.ttl", 0), "taskflow:dns.ttl", "1-86400"},
		{"ttl too long", "primary", withValue(t, primary, "taskflow:dns.ttl", 86401), "taskflow:dns.ttl", "1-86400"},
		{"interval not 10|30", "primary", withValue(t, primary, "taskflow:dns.requestInterval", 15), "taskflow:dns.requestInterval", "10 or 30"},
		{"threshold zero", "primary", withValue(t, primary, "taskflow:dns.failureThreshold", 0), "taskflow:dns.failureThreshold", "1-10"},
		{"threshold eleven", "primary", withValue(t, primary, "taskflow:dns.failureThreshold", 11), "taskflow:dns.failureThreshold", "1-10"},
		{"health-check path relative", "primary", withValue(t, primary, "taskflow:dns.healthCheckPath", "healthz"), "taskflow:dns.healthCheckPath", "start with '/'"},
		{"fence on the standby", "standby", withValue(t, standby, "taskflow:dns.fence", true), "taskflow:dns.fence", "primary stack"},
		{"misspelt key", "primary", withValue(t, primary, "taskflow:dns.requestIntervall", 10), "taskflow:dns", "unknown key \"requestIntervall\""},
		{"wrong type", "primary", withValue(t, primary, "taskflow:dns.ttl", "sixty"), "taskflow:dns.ttl", "must be a int"},
		{"rto budget over the objective", "primary", withValue(t, primary, "taskflow:objectives.rto", "5m"), "taskflow:objectives.rto", "dns.requestInterval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := runStack(t, tc.stack, tc.cfg, nil)
			require.Error(t, run.err)
			assert.Contains(t, run.err.Error(), tc.wantKey+":")
			assert.Contains(t, run.err.Error(), tc.wantWords)
			assert.Empty(t, names(run.mocks.all()), "nothing may be registered for bad config")
		})
	}
}

// TestRTOBudget: the shipped config meets the objective and exports its
// budget, part by part.
func TestRTOBudget(t *testing.T) {
	run := runPrimary(t)
	budget := run.exports["rtoBudget"]
	assert.Equal(t, map[string]int{
		"detectionSeconds":   30, // 10 s interval x 3 failures
		"dnsTtlSeconds":      60,
		"promotionSeconds":   300,
		"appRecoverySeconds": 180,
		"totalSeconds":       570,
		"objectiveSeconds":   900,
	}, budget)
	assert.Equal(t, 10, run.exports["rpoObjectiveSeconds"])

	slow := withValue(t, withValue(t, stackConfig(t, "primary"), "taskflow:dns.requestInterval", 30), "taskflow:dns.failureThreshold", 10)
	failing := runStack(t, "primary", withValue(t, slow, "taskflow:dns.ttl", 300), nil)
	require.Error(t, failing.err)
	assert.Contains(t, failing.err.Error(), "the RTO budget 18m0s exceeds the objective 15m0s")
	assert.Empty(t, names(failing.mocks.all()))
}
