package gameday

import "time"

// Analyze turns the drill's observations into results. promoted are the old
// writer's heartbeats read back from the promoted database; promotedQueried
// is false when that database was not queried.
func Analyze(d Drill, promoted []StoredHeartbeat, promotedQueried bool, objectives Objectives) Results {
	rto := ComputeRTO(d, objectives.RTO)
	rpo := ComputeRPO(d.Heartbeats, promoted, promotedQueried, objectives.RPO)
	hbResolution := Intervals(sentTimes(d.Heartbeats))
	if d.Agents != nil {
		rpo = ComputeAgentRPO(*d.Agents, objectives.RPO)
		hbResolution = d.Agents.Promoted.OldIntervals
	}
	return Results{
		Objectives: objectives,
		Regions:    d.Regions,
		RTO:        rto,
		RPO:        rpo,
		Resolution: Resolution{
			Heartbeat: hbResolution,
			Probe:     Intervals(probeTimes(d.Probes)),
		},
		Observations: observe(d, rto, rpo),
	}
}

func probeTimes(probes []ProbeRecord) []time.Time {
	times := make([]time.Time, len(probes))
	for i, p := range probes {
		times[i] = p.At
	}
	return times
}
