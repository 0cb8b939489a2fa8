package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
)

// argoLoop is the lab's stand-in for each region's Argo CD: the program
// installs Argo CD and the TaskFlow Application (their Kubernetes objects
// are kept in the plugins' state), and this syncs what that Application
// would create in the lab cluster — the taskflow Deployment at the
// Application's replica count, once, then never again: the Application
// ignores /spec/replicas (incluster.ApplicationSpec), so the runbook's
// `kubectl scale` is never undone. The DR agent's Service is applied the
// same way, so the API server's proxy reaches the agent.
type argoLoop struct{ stage *Stage }

func startArgo(s *Stage) *argoLoop { return &argoLoop{stage: s} }

func (a *argoLoop) stop() {}

// sync applies the region's GitOps objects that are not there yet.
func (a *argoLoop) sync(ctx context.Context, region, clusterName string, replicas int) error {
	objects := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "taskflow"}},
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "taskflow-dr"}},
		{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "taskflow", "namespace": "taskflow"},
			"spec": map[string]any{
				"replicas": replicas,
				"selector": map[string]any{"matchLabels": map[string]any{"app": "taskflow"}},
				"template": map[string]any{
					"metadata": map[string]any{"labels": map[string]any{"app": "taskflow"}},
					"spec":     map[string]any{"serviceAccountName": "taskflow", "containers": []any{map[string]any{"name": "taskflow", "image": "taskflow:" + ReleaseTag}}},
				},
			},
		},
		{
			"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": "dr-agent", "namespace": "taskflow-dr"},
			"spec":     map[string]any{"ports": []any{map[string]any{"name": "http", "port": 80, "targetPort": 8080}}},
		},
	}
	c := a.stage.Env.Cloud
	get, _ := c.Lookup("kubernetes", "GetObject")
	apply, _ := c.Lookup("kubernetes", "ApplyObject")
	for _, obj := range objects {
		meta := obj["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		ref := &cloud.KubeRefInput{ClusterName: &clusterName, APIVersion: ptr(obj["apiVersion"].(string)), Kind: ptr(obj["kind"].(string)), Name: ptr(meta["name"].(string))}
		if ns != "" {
			ref.Namespace = &ns
		}
		if _, err := c.Call(ctx, get, region, "lab", ref); err == nil {
			continue // created once; Argo CD leaves the replica count alone
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		if _, err := c.Call(ctx, apply, region, "lab", &cloud.KubeObjectInput{ClusterName: &clusterName, Object: raw}); err != nil {
			return fmt.Errorf("lab argo: %s %s in %s: %w", obj["kind"], meta["name"], region, err)
		}
	}
	return nil
}
