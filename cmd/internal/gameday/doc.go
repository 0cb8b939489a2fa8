// Package gameday measures a disaster-recovery drill for real: it writes
// heartbeats to PostgreSQL through the outage, probes the public health
// endpoint while DNS moves between regions, reads the runbook's timeline file,
// and turns the three into RTO/RPO results, a markdown record and a chart.
//
// The package deliberately has no dependency on Pulumi: it runs on a bastion
// or in a pod during the drill and has to build quickly and stay small.
package gameday
