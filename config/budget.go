package config

import (
	"fmt"
	"time"
)

// RTOBudget is the recovery time the configuration allows, part by part
// (DESIGN §7): how long Route 53 takes to call the primary unhealthy, how
// long resolvers may keep the old answer, how long the replica takes to
// promote, and how long the app takes to serve from the standby.
type RTOBudget struct {
	Detection   time.Duration
	DNSTTL      time.Duration
	Promotion   time.Duration
	AppRecovery time.Duration
	Total       time.Duration
	Objective   time.Duration
}

// RTOBudget computes the budget from the config. Detection is request
// interval x failure threshold: Route 53 needs that many consecutive failed
// checks before the PRIMARY record stops being served.
func (c *Config) RTOBudget() RTOBudget {
	b := RTOBudget{
		Detection:   time.Duration(c.DNS.RequestInterval*c.DNS.FailureThreshold) * time.Second,
		DNSTTL:      time.Duration(c.DNS.TTL) * time.Second,
		Promotion:   c.Objectives.PromotionEstimate.Duration,
		AppRecovery: c.Objectives.AppRecoveryEstimate.Duration,
		Objective:   c.Objectives.RTO.Duration,
	}
	b.Total = b.Detection + b.DNSTTL + b.Promotion + b.AppRecovery
	return b
}

// String shows the arithmetic, for error messages and the README.
func (b RTOBudget) String() string {
	return fmt.Sprintf("detection %s + DNS TTL %s + promotion %s + app recovery %s = %s",
		b.Detection, b.DNSTTL, b.Promotion, b.AppRecovery, b.Total)
}

// Seconds is the budget as the `rtoBudget` stack output: whole seconds, so
// the runbook can do arithmetic with jq.
func (b RTOBudget) Seconds() map[string]int {
	return map[string]int{
		"detectionSeconds":   int(b.Detection.Seconds()),
		"dnsTtlSeconds":      int(b.DNSTTL.Seconds()),
		"promotionSeconds":   int(b.Promotion.Seconds()),
		"appRecoverySeconds": int(b.AppRecovery.Seconds()),
		"totalSeconds":       int(b.Total.Seconds()),
		"objectiveSeconds":   int(b.Objective.Seconds()),
	}
}
