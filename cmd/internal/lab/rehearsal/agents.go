package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/heartbeat"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/awsapi"
)

// agentProcess is one region's DR agent: the real cmd/dr-agent binary, as
// in the cluster, against its region's database and the lab's CloudWatch.
type agentProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan error
	log  *os.File
}

// agentInterval is the agent's heartbeat at the lab's scale: the shipped
// 1 s divided like every other AWS duration, so the replica-delay alarm's
// windows (10 s, scaled to 1 s) keep several data points; never below the
// agent's own minimum, which it refuses (at scale 30 the alarm's windows
// then hold fewer points).
func (s *Stage) agentInterval() time.Duration {
	return max(s.Configs["primary"].Agent.HeartbeatInterval.Duration/time.Duration(s.opts.Scale), heartbeat.MinInterval)
}

// startAgent starts the region's agent and points the API server's proxy
// for taskflow-dr/dr-agent:http at it.
func (s *Stage) startAgent(ctx context.Context, stack string, out map[string]any) error {
	region, peer := s.Region(stack), s.Configs[stack].Peer.Region
	cluster := str(out, "clusterName")
	peerStack := "standby"
	if stack == "standby" {
		peerStack = "primary"
	}
	// The lab's databases hold one database, "postgres": the agent writes
	// its schema there (on AWS, database.name).
	dsn, err := s.Env.Cloud.DatabaseDSN(region, str(out, "dbInstanceId"), "postgres")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logf, err := os.Create(filepath.Join(s.opts.Dir, "agent-"+stack+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(s.opts.Agent)
	cmd.Env = append(os.Environ(),
		"DR_DB_DSN="+dsn, "DR_REGION="+region, "DR_PEER_REGION="+peer,
		"DR_CLUSTER="+cluster, "DR_PEER_CLUSTER=taskflow-dr-"+peerStack,
		"DR_HEARTBEAT_INTERVAL="+s.agentInterval().String(), "DR_LISTEN="+addr, "DR_METRICS=cloudwatch",
		"AWS_ENDPOINT_URL="+s.Env.AWSURL, "AWS_ACCESS_KEY_ID="+awsapi.AgentAccessKeyID, "AWS_SECRET_ACCESS_KEY="+awsapi.SecretAccessKey,
		"AWS_REGION="+region, "AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("lab: start the %s agent: %w", region, err)
	}
	a := &agentProcess{cmd: cmd, addr: addr, done: make(chan error, 1), log: logf}
	go func() { a.done <- cmd.Wait() }()
	s.mu.Lock()
	s.agents[region] = a
	s.mu.Unlock()
	if err := waitHTTP(ctx, "http://"+addr+"/healthz", 20*time.Second); err != nil {
		return fmt.Errorf("lab: the %s agent: %w; its log ends:\n%s", region, err, tail(logf.Name(), 10))
	}
	if err := s.argo.sync(ctx, region, cluster, intOf(out, "gitops", "replicas")); err != nil {
		return err
	}
	return s.Env.SetAgent(region, cluster, addr)
}

// stop ends the agent (its whole process group) and waits for it.
func (a *agentProcess) stop() error {
	if a.cmd.Process != nil {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGTERM)
	}
	var err error
	select {
	case err = <-a.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		err = <-a.done
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = nil // stopped by us
	}
	return errors.Join(err, a.log.Close())
}

func intOf(m map[string]any, obj, key string) int {
	o, _ := m[obj].(map[string]any)
	f, _ := o[key].(float64)
	return int(f)
}

// tail is a file's last n lines, for an error that outlives the lab's
// directory.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
