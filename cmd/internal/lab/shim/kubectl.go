package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/cloud/rpc"
)

// Kubectl answers the kubectl calls the runbook makes, from the lab cloud's
// Kubernetes, with kubectl 1.32's output, messages and exit statuses:
//
//	get nodes [--no-headers]
//	get deployment/NAME -o jsonpath=TEMPLATE
//	get --raw PATH                      (the API server's service proxy)
//	scale deployment/NAME --replicas=N
//	annotate deployment/NAME KEY=VALUE [--overwrite] | KEY-
//	rollout status deployment/NAME [--timeout=D]
//	wait --for=condition=Ready nodes --all [--timeout=D]
//
// with --kubeconfig FILE (written by the real `aws eks update-kubeconfig`;
// its current context's server names the cluster) and -n/--namespace.
// Anything else is refused, loudly: the lab answers only what it models.
type Kubectl struct {
	Client *rpc.Client
	Stdout io.Writer
	Stderr io.Writer
	// Poll paces rollout status and wait (kubectl watches; the lab polls).
	Poll time.Duration
}

// RunKubectl is the kubectl mode of drlab.
func RunKubectl(args []string) int {
	client, err := rpc.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drlab kubectl:", err)
		return 1
	}
	client.Caller = cloud.CallerOperator
	k := &Kubectl{Client: client, Stdout: os.Stdout, Stderr: os.Stderr, Poll: 500 * time.Millisecond}
	return k.Run(context.Background(), args)
}

// kubeArgs is a parsed kubectl command line.
type kubeArgs struct {
	words                                       []string
	kubeconfig, namespace, output, raw, timeout string
	requestTimeout                              time.Duration
	selector                                    string
	replicas                                    *int
	noHeaders, overwrite, all                   bool
	waitFor                                     string
}

// requestTimeout parses --request-timeout the way client-go does: a bare
// integer is seconds, anything else must carry a unit, and a negative value
// is refused. kubernetes/client-go tools/clientcmd/client_config.go
// (getClientConfig: "timeout must be a positive integer or a duration").
func requestTimeout(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fail(fmt.Sprintf("error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h): %s", v))
	}
	return d, nil
}

// fail is an error kubectl prints as is, with exit status 1.
type fail string

func (f fail) Error() string { return string(f) }

func parseKubectl(args []string) (kubeArgs, error) {
	var k kubeArgs
	value := func(i *int, name string) (string, error) {
		a := args[*i]
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, nil
		}
		if *i+1 >= len(args) {
			return "", fail(fmt.Sprintf("error: flag needs an argument: %s", name))
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "--kubeconfig" || strings.HasPrefix(a, "--kubeconfig="):
			k.kubeconfig, err = value(&i, "--kubeconfig")
		case a == "-n" || a == "--namespace" || strings.HasPrefix(a, "--namespace="):
			name := "--namespace"
			if a == "-n" {
				name = "-n"
			}
			k.namespace, err = value(&i, name)
		case a == "-o" || a == "--output" || strings.HasPrefix(a, "--output=") || strings.HasPrefix(a, "-o="):
			name := "--output"
			if strings.HasPrefix(a, "-o") {
				name = "-o"
			}
			k.output, err = value(&i, name)
		case a == "--raw" || strings.HasPrefix(a, "--raw="):
			k.raw, err = value(&i, "--raw")
		case a == "--timeout" || strings.HasPrefix(a, "--timeout="):
			k.timeout, err = value(&i, "--timeout")
		case a == "--request-timeout" || strings.HasPrefix(a, "--request-timeout="):
			var v string
			if v, err = value(&i, "--request-timeout"); err == nil {
				k.requestTimeout, err = requestTimeout(v)
			}
		case a == "--for" || strings.HasPrefix(a, "--for="):
			k.waitFor, err = value(&i, "--for")
		case a == "--replicas" || strings.HasPrefix(a, "--replicas="):
			var v string
			if v, err = value(&i, "--replicas"); err == nil {
				n, cerr := strconv.Atoi(v)
				if cerr != nil {
					err = fail(fmt.Sprintf("error: invalid argument %q for \"--replicas\" flag: strconv.ParseInt: parsing %q: invalid syntax", v, v))
				}
				k.replicas = &n
			}
		case a == "-l" || a == "--selector" || strings.HasPrefix(a, "--selector=") || strings.HasPrefix(a, "-l="):
			name := "--selector"
			if strings.HasPrefix(a, "-l") {
				name = "-l"
			}
			k.selector, err = value(&i, name)
		case a == "--no-headers":
			k.noHeaders = true
		case a == "--overwrite":
			k.overwrite = true
		case a == "--all":
			k.all = true
		case a == "-w" || a == "--watch":
		case strings.HasPrefix(a, "-"):
			err = fail(fmt.Sprintf("error: unknown flag: %s (the lab's kubectl answers the runbook's calls only)", a))
		default:
			k.words = append(k.words, a)
		}
		if err != nil {
			return k, err
		}
	}
	if k.namespace == "" {
		k.namespace = "default"
	}
	return k, nil
}

// Run runs one kubectl command line and returns the exit status.
func (k *Kubectl) Run(ctx context.Context, args []string) int {
	if err := k.run(ctx, args); err != nil {
		var f fail
		if errors.As(err, &f) {
			fmt.Fprintln(k.Stderr, string(f))
		} else {
			fmt.Fprintln(k.Stderr, "error:", err)
		}
		return 1
	}
	return 0
}

func (k *Kubectl) run(ctx context.Context, args []string) error {
	a, err := parseKubectl(args)
	if err != nil {
		return err
	}
	region, cluster, err := k.cluster(ctx, a.kubeconfig)
	if err != nil {
		return err
	}
	c := &kubeCall{k: k, ctx: ctx, region: region, cluster: cluster, args: a}
	verb := strings.Join(a.words, " ")
	switch {
	case verb == "get" && a.raw != "":
		return c.raw()
	case verb == "get nodes" || verb == "get node" || verb == "get no":
		return c.getNodes()
	case len(a.words) >= 2 && a.words[0] == "get":
		return c.getObject(a.words[1:])
	case len(a.words) == 2 && a.words[0] == "scale":
		return c.scale(a.words[1])
	case len(a.words) >= 3 && a.words[0] == "annotate":
		return c.annotate(a.words[1], a.words[2:])
	case len(a.words) == 3 && a.words[0] == "rollout" && a.words[1] == "status":
		return c.rolloutStatus(a.words[2])
	case verb == "wait nodes" || verb == "wait node":
		return c.waitNodes()
	}
	return fail(fmt.Sprintf("error: the lab's kubectl does not answer: kubectl %s", strings.Join(args, " ")))
}

// cluster reads the kubeconfig's current context and finds its cluster by
// the server URL.
func (k *Kubectl) cluster(ctx context.Context, path string) (string, string, error) {
	if path == "" {
		if path = os.Getenv("KUBECONFIG"); path == "" {
			return "", "", fail("error: the lab's kubectl needs --kubeconfig (the runbook never uses ~/.kube/config)")
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", "", fail(fmt.Sprintf("error: %v", err))
	}
	var kc struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string `yaml:"name"`
			Context struct {
				Cluster string `yaml:"cluster"`
			} `yaml:"context"`
		} `yaml:"contexts"`
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
	}
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return "", "", fail(fmt.Sprintf("error: error loading config file %q: %v", path, err))
	}
	server := ""
	for _, cx := range kc.Contexts {
		if cx.Name == kc.CurrentContext {
			for _, cl := range kc.Clusters {
				if cl.Name == cx.Context.Cluster {
					server = cl.Cluster.Server
				}
			}
		}
	}
	if server == "" {
		// kubectl falls back to localhost and fails to connect.
		return "", "", fail("The connection to the server localhost:8080 was refused - did you specify the right host or port?")
	}
	// An EKS endpoint names its region:
	// https://<id>.<label>.<region>.eks.amazonaws.com.
	u, err := url.Parse(server)
	if err != nil {
		return "", "", fail(fmt.Sprintf("error: invalid server %q in %s: %v", server, path, err))
	}
	labels := strings.Split(u.Hostname(), ".")
	if len(labels) != 6 || labels[3] != "eks" {
		return "", "", fail(fmt.Sprintf("Unable to connect to the server: dial tcp: lookup %s: no such host", u.Hostname()))
	}
	var out cloud.ClusterEndpointOutput
	err = k.Client.Call(ctx, labels[2], "kubernetes", "ClusterForEndpoint", &cloud.ClusterEndpointInput{Endpoint: &server}, &out)
	if err != nil {
		return "", "", connectError(server, err)
	}
	return out.Region, out.ClusterName, nil
}

// connectError is kubectl's message when the API server does not answer.
func connectError(server string, err error) error {
	if rpc.IsUnreachable(err) {
		host := server
		if u, perr := url.Parse(server); perr == nil {
			host = u.Host
		}
		return fail(fmt.Sprintf("Unable to connect to the server: dial tcp: lookup %s: i/o timeout", host))
	}
	var ae *rpc.APIError
	if errors.As(err, &ae) && ae.Code == "NotFound" {
		return fail(fmt.Sprintf("Unable to connect to the server: dial tcp: lookup %s: no such host", strings.TrimPrefix(server, "https://")))
	}
	return err
}

type kubeCall struct {
	k               *Kubectl
	ctx             context.Context
	region, cluster string
	args            kubeArgs
}

func (c *kubeCall) call(op string, in, out any) error {
	// --request-timeout bounds each request, not the whole command.
	ctx := c.ctx
	if c.args.requestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.args.requestTimeout)
		defer cancel()
	}
	err := c.k.Client.Call(ctx, c.region, "kubernetes", op, in, out)
	var ae *rpc.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return fail(fmt.Sprintf("Error from server (%s): %s", ae.Code, ae.Message))
	case rpc.IsUnreachable(err):
		return fail("Unable to connect to the server: dial tcp: i/o timeout")
	}
	return err
}

// resource parses "deployment/NAME" (or deploy, deployments,
// deployment.apps) into apiVersion, kind, name.
func resource(ref string) (string, string, string, error) {
	typ, name, ok := strings.Cut(ref, "/")
	if !ok || name == "" {
		return "", "", "", fail(fmt.Sprintf("error: arguments in resource/name form must have a single resource and name (the lab's kubectl wants TYPE/NAME, got %q)", ref))
	}
	switch typ {
	case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
		return "apps/v1", "Deployment", name, nil
	case "service", "services", "svc":
		return "v1", "Service", name, nil
	case "configmap", "configmaps", "cm":
		return "v1", "ConfigMap", name, nil
	}
	return "", "", "", fail(fmt.Sprintf("error: the server doesn't have a resource type %q", typ))
}

func (c *kubeCall) object(ref string) (map[string]any, string, string, string, error) {
	apiVersion, kind, name, err := resource(ref)
	if err != nil {
		return nil, "", "", "", err
	}
	var out cloud.KubeObjectOutput
	if err := c.call("GetObject", &cloud.KubeRefInput{ClusterName: &c.cluster, APIVersion: &apiVersion, Kind: &kind, Namespace: &c.args.namespace, Name: &name}, &out); err != nil {
		return nil, "", "", "", err
	}
	var obj map[string]any
	if err := json.Unmarshal(out.Object, &obj); err != nil {
		return nil, "", "", "", err
	}
	return obj, apiVersion, kind, name, nil
}

func (c *kubeCall) getObject(refs []string) error {
	ref := refs[0]
	if len(refs) == 2 && !strings.Contains(ref, "/") {
		ref = refs[0] + "/" + refs[1]
	}
	obj, _, _, _, err := c.object(ref)
	if err != nil {
		return err
	}
	tmpl, ok := strings.CutPrefix(c.args.output, "jsonpath=")
	if !ok {
		return fail(fmt.Sprintf("error: the lab's kubectl prints -o jsonpath=… only, not %q", c.args.output))
	}
	s, err := jsonpath(tmpl, obj)
	if err != nil {
		return err
	}
	fmt.Fprint(c.k.Stdout, s)
	return nil
}

// jsonpath evaluates kubectl's JSONPath templates of the form
// "text{.a.b\.c}text": fields only, missing keys print nothing (`kubectl get`
// allows missing keys), scalars as kubectl prints them.
func jsonpath(tmpl string, obj map[string]any) (string, error) {
	var b strings.Builder
	for tmpl != "" {
		open := strings.Index(tmpl, "{")
		if open < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:open])
		end := strings.Index(tmpl[open:], "}")
		if end < 0 {
			return "", fail(fmt.Sprintf("error: error parsing jsonpath %s, unclosed action", tmpl))
		}
		expr := tmpl[open+1 : open+end]
		tmpl = tmpl[open+end+1:]
		if !strings.HasPrefix(expr, ".") {
			return "", fail(fmt.Sprintf("error: the lab's kubectl evaluates field paths only, not {%s}", expr))
		}
		var cur any = obj
		for _, key := range splitPath(expr[1:]) {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[key]
		}
		switch v := cur.(type) {
		case nil:
		case string:
			b.WriteString(v)
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		default:
			raw, _ := json.Marshal(v)
			b.Write(raw)
		}
	}
	return b.String(), nil
}

// splitPath splits a.b\.c into [a, b.c].
func splitPath(p string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			cur.WriteByte(p[i+1])
			i++
		case p[i] == '.':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(p[i])
		}
	}
	return append(out, cur.String())
}

func (c *kubeCall) nodes() ([]cloud.KubeNode, error) {
	match, err := parseSelector(c.args.selector)
	if err != nil {
		return nil, err
	}
	var out cloud.ListNodesOutput
	if err := c.call("ListNodes", &cloud.KubeClusterInput{ClusterName: &c.cluster}, &out); err != nil {
		return nil, err
	}
	var nodes []cloud.KubeNode
	for _, n := range out.Nodes {
		if match(nodeLabels(n)) {
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// nodeLabels are the labels EKS and the kubelet put on a managed node group's
// node that a selector may name:
// https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
// (eks.amazonaws.com/nodegroup) and kubernetes.io/hostname.
func nodeLabels(n cloud.KubeNode) map[string]string {
	return map[string]string{
		"eks.amazonaws.com/nodegroup": n.Nodegroup,
		"kubernetes.io/hostname":      n.Name,
	}
}

// parseSelector parses the equality-based label selectors kubectl takes
// (k=v, k==v, k!=v, k, !k, comma-joined: all must hold):
// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
// Set-based ones (in, notin) are refused rather than ignored.
func parseSelector(sel string) (func(map[string]string) bool, error) {
	type term struct {
		key, value string
		op         string // "=", "!=", "exists", "!exists"
	}
	var terms []term
	if strings.TrimSpace(sel) != "" {
		for _, part := range strings.Split(sel, ",") {
			part = strings.TrimSpace(part)
			var t term
			switch {
			case strings.Contains(part, " in ") || strings.Contains(part, " notin ") || strings.ContainsAny(part, "()"):
				return nil, fail(fmt.Sprintf("error: the lab's kubectl takes equality-based selectors only, got %q", part))
			case strings.Contains(part, "!="):
				k, v, _ := strings.Cut(part, "!=")
				t = term{key: k, value: v, op: "!="}
			case strings.Contains(part, "=="):
				k, v, _ := strings.Cut(part, "==")
				t = term{key: k, value: v, op: "="}
			case strings.Contains(part, "="):
				k, v, _ := strings.Cut(part, "=")
				t = term{key: k, value: v, op: "="}
			case strings.HasPrefix(part, "!"):
				t = term{key: part[1:], op: "!exists"}
			default:
				t = term{key: part, op: "exists"}
			}
			if t.key == "" {
				return nil, fail(fmt.Sprintf("error: unable to parse requirement: found '%s', expected: identifier", part))
			}
			terms = append(terms, t)
		}
	}
	return func(labels map[string]string) bool {
		for _, t := range terms {
			v, ok := labels[t.key]
			switch t.op {
			case "=":
				if !ok || v != t.value {
					return false
				}
			case "!=":
				if ok && v == t.value {
					return false
				}
			case "exists":
				if !ok {
					return false
				}
			case "!exists":
				if ok {
					return false
				}
			}
		}
		return true
	}, nil
}

// getNodes prints kubectl's node table: NAME STATUS ROLES AGE VERSION.
func (c *kubeCall) getNodes() error {
	nodes, err := c.nodes()
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		fmt.Fprintln(c.k.Stderr, "No resources found")
		return nil
	}
	tw := tabwriter.NewWriter(c.k.Stdout, 0, 8, 3, ' ', 0)
	if !c.args.noHeaders {
		fmt.Fprintln(tw, "NAME\tSTATUS\tROLES\tAGE\tVERSION")
	}
	for _, n := range nodes {
		status := "Ready"
		switch {
		case n.Terminated:
			status = "NotReady,SchedulingDisabled"
		case !n.Ready:
			status = "NotReady"
		}
		fmt.Fprintf(tw, "%s\t%s\t<none>\t%s\t%s\n", n.Name, status, humanDuration(time.Since(n.Created.Time)), n.Version)
	}
	return tw.Flush()
}

// humanDuration is kubectl's AGE (k8s.io/apimachinery/pkg/util/duration
// HumanDuration).
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Seconds())
	switch {
	case s < 60*2:
		return fmt.Sprintf("%ds", s)
	case d < 10*time.Minute:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", s/60)
		}
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 8*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours())/24)
	}
}

func (c *kubeCall) scale(ref string) error {
	if c.args.replicas == nil {
		return fail(`error: required flag(s) "replicas" not set`)
	}
	apiVersion, kind, name, err := resource(ref)
	if err != nil {
		return err
	}
	if err := c.call("Scale", &cloud.ScaleInput{ClusterName: &c.cluster, APIVersion: &apiVersion, Kind: &kind, Namespace: &c.args.namespace,
		Name: &name, Replicas: c.args.replicas}, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.k.Stdout, "%s/%s scaled\n", resourceKind(kind), name)
	return nil
}

func resourceKind(kind string) string {
	if kind == "Deployment" {
		return "deployment.apps"
	}
	return strings.ToLower(kind)
}

func (c *kubeCall) annotate(ref string, pairs []string) error {
	apiVersion, kind, name, err := resource(ref)
	if err != nil {
		return err
	}
	in := &cloud.AnnotateInput{ClusterName: &c.cluster, APIVersion: &apiVersion, Kind: &kind, Namespace: &c.args.namespace, Name: &name,
		Set: map[string]string{}, Overwrite: &c.args.overwrite}
	for _, p := range pairs {
		if k, v, ok := strings.Cut(p, "="); ok {
			in.Set[k] = v
		} else if k, ok := strings.CutSuffix(p, "-"); ok {
			in.Remove = append(in.Remove, k)
		} else {
			return fail(fmt.Sprintf("error: invalid annotation format: %s", p))
		}
	}
	err = c.call("Annotate", in, nil)
	var f fail
	if errors.As(err, &f) && strings.Contains(string(f), "--overwrite is false") {
		// kubectl finds the conflict itself, before any request.
		_, msg, _ := strings.Cut(string(f), "): ")
		return fail("error: " + msg)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.k.Stdout, "%s/%s annotated\n", resourceKind(kind), name)
	return nil
}

func (c *kubeCall) deadline() (time.Time, error) {
	if c.args.timeout == "" || c.args.timeout == "0" || c.args.timeout == "0s" {
		return time.Time{}, nil
	}
	d, err := time.ParseDuration(c.args.timeout)
	if err != nil {
		return time.Time{}, fail(fmt.Sprintf("error: invalid argument %q for \"--timeout\" flag: %v", c.args.timeout, err))
	}
	return time.Now().Add(d), nil
}

// rolloutStatus waits as `kubectl rollout status` does: the Deployment's
// observed generation caught up, every replica updated and available
// (kubernetes/kubectl pkg/polymorphichelpers/rollout_status.go).
func (c *kubeCall) rolloutStatus(ref string) error {
	deadline, err := c.deadline()
	if err != nil {
		return err
	}
	last := ""
	for {
		obj, _, _, name, err := c.object(ref)
		if err != nil {
			return err
		}
		meta, _ := obj["metadata"].(map[string]any)
		spec, _ := obj["spec"].(map[string]any)
		status, _ := obj["status"].(map[string]any)
		num := func(m map[string]any, k string) int { f, _ := m[k].(float64); return int(f) }
		want := 1
		if _, ok := spec["replicas"]; ok {
			want = num(spec, "replicas")
		}
		msg := ""
		switch {
		case num(status, "observedGeneration") < num(meta, "generation"):
			msg = "Waiting for deployment spec update to be observed...\n"
		case num(status, "updatedReplicas") < want:
			msg = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...\n", name, num(status, "updatedReplicas"), want)
		case num(status, "replicas") > num(status, "updatedReplicas"):
			msg = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...\n", name, num(status, "replicas")-num(status, "updatedReplicas"))
		case num(status, "availableReplicas") < num(status, "updatedReplicas"):
			msg = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n", name, num(status, "availableReplicas"), num(status, "updatedReplicas"))
		default:
			fmt.Fprintf(c.k.Stdout, "deployment %q successfully rolled out\n", name)
			return nil
		}
		if msg != last {
			fmt.Fprint(c.k.Stdout, msg)
			last = msg
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return fail("error: timed out waiting for the condition")
		}
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-time.After(c.k.Poll):
		}
	}
}

// waitNodes is `kubectl wait --for=condition=Ready nodes --all`: every node
// must be Ready, a single NotReady one (being replaced) keeps it waiting
// until the timeout (issue 9 item 11).
func (c *kubeCall) waitNodes() error {
	if c.args.waitFor != "condition=Ready" || !c.args.all {
		return fail("error: the lab's kubectl waits for nodes with --for=condition=Ready --all only")
	}
	deadline, err := c.deadline()
	if err != nil {
		return err
	}
	if deadline.IsZero() {
		deadline = time.Now().Add(30 * time.Second) // kubectl wait's default
	}
	for {
		nodes, err := c.nodes()
		if err != nil {
			return err
		}
		var notReady []string
		for _, n := range nodes {
			if !n.Ready {
				notReady = append(notReady, n.Name)
			}
		}
		if len(notReady) == 0 {
			for _, n := range nodes {
				fmt.Fprintf(c.k.Stdout, "node/%s condition met\n", n.Name)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fail(fmt.Sprintf("error: timed out waiting for the condition on nodes/%s", notReady[0]))
		}
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-time.After(c.k.Poll):
		}
	}
}

// raw is `kubectl get --raw PATH` through the API server's service proxy.
func (c *kubeCall) raw() error {
	var out cloud.ProxyOutput
	if err := c.call("ProxyGet", &cloud.ProxyInput{ClusterName: &c.cluster, Path: &c.args.raw}, &out); err != nil {
		return err
	}
	if out.StatusCode >= 300 {
		// The API server relays the backend's status; kubectl reports it as
		// an error from the server.
		return fail(fmt.Sprintf("Error from server (%s): %s", reason(out.StatusCode), strings.TrimSpace(out.Body)))
	}
	fmt.Fprint(c.k.Stdout, out.Body)
	return nil
}

func reason(status int) string {
	switch status {
	case 400:
		return "BadRequest"
	case 404:
		return "NotFound"
	case 500:
		return "InternalError"
	case 503:
		return "ServiceUnavailable"
	}
	return strconv.Itoa(status)
}
