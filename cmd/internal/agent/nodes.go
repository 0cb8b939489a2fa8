package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/taskflow/taskflow-dr/cmd/internal/drmetrics"
)

// The in-cluster API credentials every pod gets
// (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/).
const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
	nodesEvery        = 30 * time.Second
)

// NodeSource reaches the Kubernetes API to count Ready nodes: the region's
// capacity, which the dashboard shows beside the replication delay. The
// agent's service account may only get and list nodes (incluster.Agent's
// ClusterRole).
type NodeSource struct {
	// API is the API server's URL; Token and Client authenticate to it.
	API    string
	Token  string
	Client *http.Client
}

// InClusterNodes is the pod's own API server, or nil outside a cluster.
func InClusterNodes(getenv func(string) string) (*NodeSource, error) {
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" {
		return nil, nil
	}
	token, err := os.ReadFile(serviceAccountDir + "/token")
	if err != nil {
		return nil, fmt.Errorf("read the service account token: %w", err)
	}
	ca, err := os.ReadFile(serviceAccountDir + "/ca.crt")
	if err != nil {
		return nil, fmt.Errorf("read the cluster CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("the cluster CA in %s/ca.crt holds no certificate", serviceAccountDir)
	}
	return &NodeSource{
		API:    "https://" + host + ":" + port,
		Token:  string(token),
		Client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
	}, nil
}

// ReadyNodes counts the nodes whose Ready condition is True.
func (s *NodeSource) ReadyNodes(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.API+"/api/v1/nodes", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("list nodes: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("list nodes: %s", resp.Status)
	}
	var list struct {
		Items []struct {
			Status struct {
				Conditions []struct{ Type, Status string } `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return 0, fmt.Errorf("list nodes: decode: %w", err)
	}
	ready := 0
	for _, n := range list.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready++
			}
		}
	}
	return ready, nil
}

// countNodes publishes ReadyNodes every nodesEvery until ctx ends; errors
// are logged and retried.
func (a *Agent) countNodes(ctx context.Context, src *NodeSource) {
	for {
		if n, err := src.ReadyNodes(ctx); err != nil {
			a.log.Warn("cannot count Ready nodes", "error", err)
		} else {
			a.update(func(s *Status) { s.ReadyNodes = &n })
			a.own.add(types.MetricDatum{
				MetricName: aws.String(drmetrics.ReadyNodes),
				Dimensions: []types.Dimension{{Name: aws.String(drmetrics.DimensionCluster), Value: aws.String(a.cfg.Cluster)}},
				Timestamp:  aws.Time(time.Now()),
				Value:      aws.Float64(float64(n)),
				Unit:       types.StandardUnitCount,
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(nodesEvery):
		}
	}
}
