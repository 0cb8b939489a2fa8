package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// The lab's Kubernetes: what kubectl and the provider plugins see of each
// EKS cluster. It is not AWS: its operations live under the RPC service
// name "kubernetes" and have no wire protocol. Nodes come from the
// cluster's node groups (NodeBoot after launch); objects are stored as the
// plugins apply them; a Deployment's pods are scheduled on Ready nodes and
// become Ready after PodStart; GET through the API server's service proxy
// reaches the backend the lab registered for that Service.

// maxPodsPerNode is the pod capacity of the shipped node type: m6i.large
// runs at most 29 pods with the VPC CNI
// (https://github.com/awslabs/amazon-eks-ami/blob/main/templates/shared/runtime/eni-max-pods.txt).
const maxPodsPerNode = 29

type kubeState struct {
	objects  map[objectKey]map[string]any
	pods     map[objectKey][]*pod // by Deployment
	backends map[string]string    // "namespace/service:port" → host:port
	version  int
	ready    map[objectKey]int // ready replicas last reported
}

type objectKey struct{ apiVersion, kind, namespace, name string }

type pod struct {
	node      string // "" while pending
	scheduled time.Time
}

func newKubeState() *kubeState {
	return &kubeState{objects: map[objectKey]map[string]any{}, pods: map[objectKey][]*pod{}, backends: map[string]string{}, ready: map[objectKey]int{}}
}

// KubeObjectInput applies an object (a Kubernetes manifest as JSON).
type KubeObjectInput struct {
	ClusterName *string         `json:"ClusterName,omitempty" aws:"req"`
	Object      json.RawMessage `json:"Object,omitempty" aws:"req"`
}

// KubeRefInput names an object.
type KubeRefInput struct {
	ClusterName *string `json:"ClusterName,omitempty" aws:"req"`
	APIVersion  *string `json:"APIVersion,omitempty" aws:"req"`
	Kind        *string `json:"Kind,omitempty" aws:"req"`
	Namespace   *string `json:"Namespace,omitempty"`
	Name        *string `json:"Name,omitempty" aws:"req"`
}

// KubeObjectOutput returns an object, with its status as the cluster
// computes it.
type KubeObjectOutput struct {
	Object json.RawMessage `json:"Object,omitempty"`
}

// KubeListInput lists objects of a kind (in a namespace, or all).
type KubeListInput struct {
	ClusterName *string `json:"ClusterName,omitempty" aws:"req"`
	APIVersion  *string `json:"APIVersion,omitempty" aws:"req"`
	Kind        *string `json:"Kind,omitempty" aws:"req"`
	Namespace   *string `json:"Namespace,omitempty"`
}

// KubeListOutput are the objects, sorted by namespace and name.
type KubeListOutput struct {
	Items []json.RawMessage `json:"Items"`
}

// KubeClusterInput names a cluster.
type KubeClusterInput struct {
	ClusterName *string `json:"ClusterName,omitempty" aws:"req"`
}

// KubeNode is a node as `kubectl get nodes` shows it.
type KubeNode struct {
	Name       string     `json:"Name"`
	Ready      bool       `json:"Ready"`
	Terminated bool       `json:"Terminated"` // scaled in, leaving
	Created    *Timestamp `json:"Created"`
	Version    string     `json:"Version"`
	InstanceID string     `json:"InstanceId"`
	Nodegroup  string     `json:"Nodegroup"`
}

// ListNodesOutput are the cluster's nodes, sorted by name.
type ListNodesOutput struct {
	Nodes []KubeNode `json:"Nodes"`
}

// ScaleInput is `kubectl scale`.
type ScaleInput struct {
	ClusterName *string `json:"ClusterName,omitempty" aws:"req"`
	APIVersion  *string `json:"APIVersion,omitempty" aws:"req"`
	Kind        *string `json:"Kind,omitempty" aws:"req"`
	Namespace   *string `json:"Namespace,omitempty" aws:"req"`
	Name        *string `json:"Name,omitempty" aws:"req"`
	Replicas    *int    `json:"Replicas,omitempty" aws:"req"`
}

// AnnotateInput is `kubectl annotate`: Set adds or (with Overwrite)
// replaces annotations, Remove deletes them.
type AnnotateInput struct {
	ClusterName *string           `json:"ClusterName,omitempty" aws:"req"`
	APIVersion  *string           `json:"APIVersion,omitempty" aws:"req"`
	Kind        *string           `json:"Kind,omitempty" aws:"req"`
	Namespace   *string           `json:"Namespace,omitempty"`
	Name        *string           `json:"Name,omitempty" aws:"req"`
	Set         map[string]string `json:"Set,omitempty"`
	Remove      []string          `json:"Remove,omitempty"`
	Overwrite   *bool             `json:"Overwrite,omitempty"`
}

// ProxyInput is a GET through the API server (`kubectl get --raw PATH`).
type ProxyInput struct {
	ClusterName *string `json:"ClusterName,omitempty" aws:"req"`
	Path        *string `json:"Path,omitempty" aws:"req"`
}

// ProxyOutput is the backend's answer.
type ProxyOutput struct {
	StatusCode int    `json:"StatusCode"`
	Body       string `json:"Body"`
}

// ClusterEndpointInput looks a cluster up by its API server URL.
type ClusterEndpointInput struct {
	Endpoint *string `json:"Endpoint,omitempty" aws:"req"`
}

// ClusterEndpointOutput names the cluster.
type ClusterEndpointOutput struct {
	Region      string `json:"Region"`
	ClusterName string `json:"ClusterName"`
}

func (c *Cloud) registerKube() {
	register(c, "kubernetes", "ApplyObject", false, c.kubeApply)
	register(c, "kubernetes", "GetObject", false, c.kubeGet)
	register(c, "kubernetes", "DeleteObject", false, c.kubeDelete)
	register(c, "kubernetes", "ListObjects", false, c.kubeList)
	register(c, "kubernetes", "ListNodes", false, c.kubeListNodes)
	register(c, "kubernetes", "Scale", false, c.kubeScale)
	register(c, "kubernetes", "Annotate", false, c.kubeAnnotate)
	register(c, "kubernetes", "ProxyGet", false, c.kubeProxyGet)
	register(c, "kubernetes", "ClusterForEndpoint", false, c.kubeClusterForEndpoint)
	c.background(c.reconcileKube)
}

// resourceName is how the API server names a kind in its errors:
// deployments.apps, services, configmaps.
func resourceName(apiVersion, kind string) string {
	plural := strings.ToLower(kind) + "s"
	switch kind {
	case "Ingress":
		plural = "ingresses"
	case "NetworkPolicy":
		plural = "networkpolicies"
	}
	if group, _, ok := strings.Cut(apiVersion, "/"); ok {
		return plural + "." + group
	}
	return plural
}

func kubeNotFound(apiVersion, kind, name string) *Error {
	return &Error{Code: "NotFound", Status: http.StatusNotFound, Message: fmt.Sprintf("%s %q not found", resourceName(apiVersion, kind), name)}
}

// activeClusterLocked finds a cluster whose API server answers.
func (c *Cloud) activeClusterLocked(region, name string) (*eksCluster, *Error) {
	cl, err := c.clusterLocked(region, name)
	if err != nil {
		return nil, err
	}
	if st := *cl.shape.Status; st != eksActive && st != eksUpdating {
		return nil, &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("the API server of cluster %s is %s", name, st)}
	}
	return cl, nil
}

func keyOf(obj map[string]any) (objectKey, *Error) {
	meta, _ := obj["metadata"].(map[string]any)
	k := objectKey{apiVersion: str(obj["apiVersion"]), kind: str(obj["kind"]), namespace: str(meta["namespace"]), name: str(meta["name"])}
	if k.apiVersion == "" || k.kind == "" || k.name == "" {
		return k, &Error{Code: "BadRequest", Status: http.StatusBadRequest, Message: "Object 'apiVersion', 'kind' and 'metadata.name' are required"}
	}
	if k.namespace == "" && namespaced(k.kind) {
		k.namespace = "default"
		meta["namespace"] = "default"
	}
	return k, nil
}

func namespaced(kind string) bool {
	switch kind {
	case "Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass", "PersistentVolume":
		return false
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func refKey(apiVersion, kind string, namespace *string, name string) objectKey {
	ns := deref(namespace)
	if ns == "" && namespaced(kind) {
		ns = "default"
	}
	return objectKey{apiVersion, kind, ns, name}
}

func (c *Cloud) kubeApply(_ context.Context, region string, in *KubeObjectInput) (*KubeObjectOutput, error) {
	var obj map[string]any
	if err := json.Unmarshal(in.Object, &obj); err != nil {
		return nil, &Error{Code: "BadRequest", Status: http.StatusBadRequest, Message: "the object is not JSON: " + err.Error()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	if _, ok := obj["metadata"].(map[string]any); !ok {
		obj["metadata"] = map[string]any{}
	}
	k, kerr := keyOf(obj)
	if kerr != nil {
		return nil, kerr
	}
	if k.namespace != "" && k.kind != "Namespace" && k.namespace != "default" && k.namespace != "kube-system" {
		if _, ok := cl.kube.objects[objectKey{"v1", "Namespace", "", k.namespace}]; !ok {
			return nil, &Error{Code: "NotFound", Status: http.StatusNotFound, Message: fmt.Sprintf("namespaces %q not found", k.namespace)}
		}
	}
	ks := cl.kube
	ks.version++
	meta := obj["metadata"].(map[string]any)
	old, exists := ks.objects[k]
	generation := 1.0
	if exists {
		oldMeta := old["metadata"].(map[string]any)
		meta["uid"] = oldMeta["uid"]
		meta["creationTimestamp"] = oldMeta["creationTimestamp"]
		generation, _ = oldMeta["generation"].(float64)
		if !reflect.DeepEqual(old["spec"], obj["spec"]) {
			generation++
		}
		if _, ok := obj["status"]; !ok {
			obj["status"] = old["status"]
		}
	} else {
		meta["uid"] = newUUID()
		meta["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
	}
	meta["generation"] = generation
	meta["resourceVersion"] = fmt.Sprint(ks.version)
	ks.objects[k] = obj
	return &KubeObjectOutput{Object: mustJSON(obj)}, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cloud: encode %T: %v", v, err))
	}
	return b
}

func (c *Cloud) kubeGet(_ context.Context, region string, in *KubeRefInput) (*KubeObjectOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	obj, ok := cl.kube.objects[refKey(*in.APIVersion, *in.Kind, in.Namespace, *in.Name)]
	if !ok {
		return nil, kubeNotFound(*in.APIVersion, *in.Kind, *in.Name)
	}
	return &KubeObjectOutput{Object: mustJSON(obj)}, nil
}

func (c *Cloud) kubeDelete(_ context.Context, region string, in *KubeRefInput) (*Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	k := refKey(*in.APIVersion, *in.Kind, in.Namespace, *in.Name)
	if _, ok := cl.kube.objects[k]; !ok {
		return nil, kubeNotFound(*in.APIVersion, *in.Kind, *in.Name)
	}
	delete(cl.kube.objects, k)
	delete(cl.kube.pods, k)
	return &Empty{}, nil
}

func (c *Cloud) kubeList(_ context.Context, region string, in *KubeListInput) (*KubeListOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	var keys []objectKey
	for k := range cl.kube.objects {
		if k.apiVersion == *in.APIVersion && k.kind == *in.Kind && (deref(in.Namespace) == "" || k.namespace == *in.Namespace) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].namespace != keys[j].namespace {
			return keys[i].namespace < keys[j].namespace
		}
		return keys[i].name < keys[j].name
	})
	out := &KubeListOutput{Items: []json.RawMessage{}}
	for _, k := range keys {
		out.Items = append(out.Items, mustJSON(cl.kube.objects[k]))
	}
	return out, nil
}

// nodesLocked lists a cluster's nodes: every instance of its node groups,
// Ready from NodeBoot after launch until scaled in.
func (c *Cloud) nodesLocked(cl *eksCluster, now time.Time) []KubeNode {
	var nodes []KubeNode
	for name, ng := range cl.nodegroups {
		for _, in := range ng.instances {
			nodes = append(nodes, KubeNode{
				Name:       in.name,
				Ready:      in.terminating.IsZero() && now.Sub(in.launched) >= c.scaled(c.timings.NodeBoot),
				Terminated: !in.terminating.IsZero(),
				Created:    At(in.launched),
				Version:    fmt.Sprintf("v%s.0-eks-lab", *ng.shape.Version),
				InstanceID: in.id,
				Nodegroup:  name,
			})
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes
}

func (c *Cloud) kubeListNodes(_ context.Context, region string, in *KubeClusterInput) (*ListNodesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	return &ListNodesOutput{Nodes: nonNil(c.nodesLocked(cl, time.Now()))}, nil
}

func (c *Cloud) kubeScale(_ context.Context, region string, in *ScaleInput) (*KubeObjectOutput, error) {
	if *in.Replicas < 0 {
		return nil, &Error{Code: "Invalid", Status: http.StatusUnprocessableEntity, Message: "spec.replicas: Invalid value: must be greater than or equal to 0"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	k := refKey(*in.APIVersion, *in.Kind, in.Namespace, *in.Name)
	obj, ok := cl.kube.objects[k]
	if !ok {
		return nil, kubeNotFound(*in.APIVersion, *in.Kind, *in.Name)
	}
	if k.kind != "Deployment" && k.kind != "StatefulSet" && k.kind != "ReplicaSet" {
		return nil, &Error{Code: "BadRequest", Status: http.StatusBadRequest, Message: fmt.Sprintf("cannot scale a %s", k.kind)}
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		obj["spec"] = spec
	}
	if old, _ := spec["replicas"].(float64); int(old) != *in.Replicas || spec["replicas"] == nil {
		spec["replicas"] = float64(*in.Replicas)
		meta := obj["metadata"].(map[string]any)
		g, _ := meta["generation"].(float64)
		meta["generation"] = g + 1
		cl.kube.version++
		meta["resourceVersion"] = fmt.Sprint(cl.kube.version)
	}
	c.logf("kubernetes %s/%s: %s/%s scaled to %d", region, *in.ClusterName, k.namespace, k.name, *in.Replicas)
	return &KubeObjectOutput{Object: mustJSON(obj)}, nil
}

func (c *Cloud) kubeAnnotate(_ context.Context, region string, in *AnnotateInput) (*KubeObjectOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		return nil, err
	}
	obj, ok := cl.kube.objects[refKey(*in.APIVersion, *in.Kind, in.Namespace, *in.Name)]
	if !ok {
		return nil, kubeNotFound(*in.APIVersion, *in.Kind, *in.Name)
	}
	meta := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
	}
	// kubectl refuses to change an existing annotation without
	// --overwrite ("error: --overwrite is false but found the following
	// declared annotation(s): 'k' already has a value (v)",
	// kubernetes/kubectl pkg/cmd/annotate/annotate.go).
	for k, v := range in.Set {
		if old, ok := ann[k]; ok && !deref(in.Overwrite) && str(old) != v {
			return nil, &Error{Code: "Conflict", Status: http.StatusConflict, Message: fmt.Sprintf("--overwrite is false but found the following declared annotation(s): '%s' already has a value (%s)", k, str(old))}
		}
	}
	for k, v := range in.Set {
		ann[k] = v
	}
	for _, k := range in.Remove {
		delete(ann, k)
	}
	meta["annotations"] = ann
	cl.kube.version++
	meta["resourceVersion"] = fmt.Sprint(cl.kube.version)
	return &KubeObjectOutput{Object: mustJSON(obj)}, nil
}

// SetServiceBackend registers the address that the API server's service
// proxy reaches for a Service port (the lab runs the DR agent of each
// region as a process; this is its "endpoint").
func (c *Cloud) SetServiceBackend(region, cluster, namespace, service, port, addr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.regions[region]
	if !ok {
		return fmt.Errorf("cloud: no region %s", region)
	}
	cl, ok := r.eks.clusters[cluster]
	if !ok {
		return fmt.Errorf("cloud: no cluster %s in %s", cluster, region)
	}
	key := namespace + "/" + service + ":" + port
	if addr == "" {
		delete(cl.kube.backends, key)
	} else {
		cl.kube.backends[key] = addr
	}
	return nil
}

// kubeProxyGet serves GET /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH
// (https://kubernetes.io/docs/tasks/access-application-cluster/access-cluster-services/#manually-constructing-apiserver-proxy-urls):
// the Service must exist, the port must be one of its named ports, and a
// backend must be registered, as an endpoint must be ready.
func (c *Cloud) kubeProxyGet(ctx context.Context, region string, in *ProxyInput) (*ProxyOutput, error) {
	path := *in.Path
	rest, ok := strings.CutPrefix(path, "/api/v1/namespaces/")
	if !ok {
		return nil, &Error{Code: "NotFound", Status: http.StatusNotFound, Message: "the server could not find the requested resource"}
	}
	parts := strings.SplitN(rest, "/", 5)
	if len(parts) < 4 || parts[1] != "services" || parts[3] != "proxy" {
		return nil, &Error{Code: "NotFound", Status: http.StatusNotFound, Message: "the server could not find the requested resource"}
	}
	ns, svcPort := parts[0], parts[2]
	svc, port, _ := strings.Cut(svcPort, ":")
	sub := "/"
	if len(parts) == 5 {
		sub += parts[4]
	}
	c.mu.Lock()
	cl, err := c.activeClusterLocked(region, *in.ClusterName)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	obj, ok := cl.kube.objects[objectKey{"v1", "Service", ns, svc}]
	if !ok {
		c.mu.Unlock()
		return nil, kubeNotFound("v1", "Service", svc)
	}
	if port != "" && !servicePortNamed(obj, port) {
		c.mu.Unlock()
		return nil, &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("no endpoints available for service %q", svc)}
	}
	addr := cl.kube.backends[ns+"/"+svc+":"+port]
	c.mu.Unlock()
	if addr == "" {
		return nil, &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("no endpoints available for service %q", svc)}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, rerr := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+addr+sub, nil)
	if rerr != nil {
		return nil, &Error{Code: "BadRequest", Status: http.StatusBadRequest, Message: rerr.Error()}
	}
	resp, rerr := http.DefaultClient.Do(req)
	if rerr != nil {
		// The API server answers 503 when it cannot reach the pod.
		return nil, &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("error trying to reach service: %v", rerr)}
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if rerr != nil {
		return nil, &Error{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable, Message: rerr.Error()}
	}
	return &ProxyOutput{StatusCode: resp.StatusCode, Body: string(body)}, nil
}

func servicePortNamed(svc map[string]any, port string) bool {
	spec, _ := svc["spec"].(map[string]any)
	ports, _ := spec["ports"].([]any)
	for _, p := range ports {
		pm, _ := p.(map[string]any)
		if str(pm["name"]) == port {
			return true
		}
		if n, ok := pm["port"].(float64); ok && fmt.Sprint(int(n)) == port {
			return true
		}
	}
	return false
}

func (c *Cloud) kubeClusterForEndpoint(_ context.Context, region string, in *ClusterEndpointInput) (*ClusterEndpointOutput, error) {
	r, name, ok := c.ClusterForEndpoint(*in.Endpoint)
	if !ok || r != region {
		return nil, &Error{Code: "NotFound", Status: http.StatusNotFound, Message: fmt.Sprintf("no cluster has the endpoint %s in %s", *in.Endpoint, region)}
	}
	return &ClusterEndpointOutput{Region: r, ClusterName: name}, nil
}

// ReadyReplicas is the hook the lab uses to keep its stand-in endpoints'
// replica counts equal to the Deployment's Ready pods.
type ReadyReplicas func(region, cluster, namespace, name string, ready int)

// OnReadyReplicas sets the hook; it is called outside the cloud's lock.
func (c *Cloud) OnReadyReplicas(f ReadyReplicas) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onReady = f
}

// reconcileKube schedules pods and updates Deployments' status, and prunes
// terminated nodes, ten times a second.
func (c *Cloud) reconcileKube(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			type change struct {
				region, cluster string
				k               objectKey
				ready           int
			}
			var changes []change
			c.mu.Lock()
			hook := c.onReady
			for _, r := range c.regions {
				for cname, cl := range r.eks.clusters {
					for _, ng := range cl.nodegroups {
						ng.instances = slices.DeleteFunc(ng.instances, func(in *instance) bool {
							return !in.terminating.IsZero() && now.Sub(in.terminating) >= c.scaled(c.timings.NodeTerminate)
						})
					}
					for k, ready := range c.reconcileDeploymentsLocked(cl, now) {
						if cl.kube.ready[k] != ready {
							cl.kube.ready[k] = ready
							changes = append(changes, change{r.name, cname, k, ready})
						}
					}
				}
			}
			c.mu.Unlock()
			if hook != nil {
				for _, ch := range changes {
					hook(ch.region, ch.cluster, ch.k.namespace, ch.k.name, ch.ready)
				}
			}
		}
	}
}

// reconcileDeploymentsLocked keeps each Deployment's pods at spec.replicas,
// schedules pending pods on Ready nodes with room, and writes the status
// kubectl reads; it returns the ready count of each.
func (c *Cloud) reconcileDeploymentsLocked(cl *eksCluster, now time.Time) map[objectKey]int {
	ready := map[string]bool{}
	for _, n := range c.nodesLocked(cl, now) {
		if n.Ready {
			ready[n.Name] = true
		}
	}
	load := map[string]int{}
	var keys []objectKey
	for k := range cl.kube.objects {
		if k.kind == "Deployment" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].namespace+"/"+keys[i].name < keys[j].namespace+"/"+keys[j].name })
	// Pods on nodes that went away are gone; count what remains.
	for _, k := range keys {
		pods := slices.DeleteFunc(cl.kube.pods[k], func(p *pod) bool { return p.node != "" && !ready[p.node] })
		cl.kube.pods[k] = pods
		for _, p := range pods {
			if p.node != "" {
				load[p.node]++
			}
		}
	}
	var nodes []string
	for n := range ready {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	out := map[objectKey]int{}
	for _, k := range keys {
		obj := cl.kube.objects[k]
		spec, _ := obj["spec"].(map[string]any)
		want := 1
		if r, ok := spec["replicas"].(float64); ok {
			want = int(r)
		}
		pods := cl.kube.pods[k]
		for len(pods) > want {
			last := pods[len(pods)-1]
			if last.node != "" {
				load[last.node]--
			}
			pods = pods[:len(pods)-1]
		}
		for len(pods) < want {
			pods = append(pods, &pod{})
		}
		n := 0
		for _, p := range pods {
			if p.node == "" {
				for _, node := range nodes {
					if load[node] < maxPodsPerNode {
						p.node, p.scheduled = node, now
						load[node]++
						break
					}
				}
			}
			if p.node != "" && now.Sub(p.scheduled) >= c.scaled(c.timings.PodStart) {
				n++
			}
		}
		cl.kube.pods[k] = pods
		meta := obj["metadata"].(map[string]any)
		// DeploymentStatus omits zero counts (k8s.io/api apps/v1 types.go:
		// every replica count is `json:",omitempty"`), so jsonpath reads
		// of a scaled-to-zero Deployment print nothing, as on a cluster.
		status := map[string]any{"observedGeneration": meta["generation"]}
		for name, v := range map[string]int{"replicas": len(pods), "updatedReplicas": len(pods), "readyReplicas": n, "availableReplicas": n} {
			if v != 0 {
				status[name] = float64(v)
			}
		}
		obj["status"] = status
		out[k] = n
	}
	return out
}

// DeploymentReady is the number of Ready pods of a Deployment in a
// region's clusters, for the lab's stand-ins.
func (c *Cloud) DeploymentReady(region, namespace, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.regions[region]
	if !ok {
		return 0
	}
	n := 0
	for _, cl := range r.eks.clusters {
		n += cl.kube.ready[objectKey{"apps/v1", "Deployment", namespace, name}]
	}
	return n
}
