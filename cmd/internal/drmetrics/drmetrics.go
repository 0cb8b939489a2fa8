// Package drmetrics names the DR agent's CloudWatch metrics (cmd/dr-agent/README.md), which the agent publishes and the game-day report reads back.
package drmetrics

const (
	Namespace        = "TaskFlowDR"
	DimensionCluster = "Cluster"

	// ReplicationDelay (Seconds, 1-second resolution): a replica's agent,
	// in its own region.
	ReplicationDelay = "ReplicationDelay"
	// AckedHeartbeatSequence (None) and AckedHeartbeatTime (Seconds, Unix
	// epoch with milliseconds): a writer's agent, in the peer region.
	AckedHeartbeatSequence = "AckedHeartbeatSequence"
	AckedHeartbeatTime     = "AckedHeartbeatTime"
	// AgentIsWriter (None, 1/0): every agent, in its own region.
	AgentIsWriter = "AgentIsWriter"
	// ReadyNodes (Count): every agent in a cluster, in its own region, the
	// cluster's Ready nodes (the dashboard's node-group size).
	ReadyNodes = "ReadyNodes"
)
