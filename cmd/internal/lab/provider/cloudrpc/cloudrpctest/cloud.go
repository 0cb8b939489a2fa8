// Package cloudrpctest is a fake of the lab cloud's JSON RPC (cmd/internal/lab/engine/README.md) for the plugins' tests: the operations the plugins call, with the
// AWS rules the plugins' logic depends on (each cited), state transitions
// that take time (so the plugins' waits are exercised) and a call log. The
// lab's real cloud (cmd/internal/lab/cloud, built separately) replaces it
// in `make lab`.
package cloudrpctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Cloud is the fake.
type Cloud struct {
	// Account is the account ID in ARNs.
	Account string
	// Delay is how long a creation, modification, promotion or deletion
	// takes.
	Delay time.Duration
	// AllowLaunchConfigurations lets CreateLaunchConfiguration succeed.
	// AWS refuses it in accounts created after 2024-10-01
	// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/launch-configurations.html),
	// so the fake refuses by default.
	AllowLaunchConfigurations bool

	mu         sync.Mutex
	calls      []string
	dbs        map[string]*dbInstance // key region/identifier
	snapshots  map[string]bool        // key region/identifier
	clusters   map[string]*eksCluster // key region/name
	nodegroups map[string]*nodegroup  // key region/cluster/name
	zones      map[string]*zone       // by zone ID
	checks     map[string]map[string]any
	alarms     map[string]map[string]any // key region/name
	dashboards map[string]string         // key region/name
	secrets    map[string]*secret        // key region/name
	repos      map[string]map[string]any // key region/name
	images     map[string][]string       // key region/repository: tags
	templates  map[string]map[string]any // key region/prefix
	registries map[string]map[string]any // key region
	lcs        map[string]bool           // key region/name
}

// New returns an empty cloud holding one public hosted zone per domain.
func New(account string, zones ...string) *Cloud {
	c := &Cloud{
		Account: account, Delay: 50 * time.Millisecond,
		dbs: map[string]*dbInstance{}, snapshots: map[string]bool{}, clusters: map[string]*eksCluster{},
		nodegroups: map[string]*nodegroup{}, zones: map[string]*zone{}, checks: map[string]map[string]any{},
		alarms: map[string]map[string]any{}, dashboards: map[string]string{}, secrets: map[string]*secret{},
		repos: map[string]map[string]any{}, images: map[string][]string{}, templates: map[string]map[string]any{}, registries: map[string]map[string]any{}, lcs: map[string]bool{},
	}
	for _, z := range zones {
		id := "Z" + strings.ToUpper(randHex(10))
		c.zones[id] = &zone{id: id, name: strings.TrimSuffix(z, ".") + ".", records: map[string]map[string]any{}}
	}
	return c
}

// Close releases the fake; it holds no server of its own (callers keep
// their Cleanup for the day it does).
func (c *Cloud) Close() {}

// Calls returns "region/service/Operation" for every call so far.
func (c *Cloud) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// ZoneID returns the ID of the hosted zone for domain.
func (c *Cloud) ZoneID(domain string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, z := range c.zones {
		if z.name == strings.TrimSuffix(domain, ".")+"." {
			return id
		}
	}
	return ""
}

type apiError struct {
	status        int
	Code, Message string
}

func errf(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers POST /v1/<region>/<service>/<Operation>.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 4 || parts[0] != "v1" {
		http.Error(w, "expected POST /v1/<region>/<service>/<Operation>", http.StatusNotFound)
		return
	}
	region, service, op := parts[1], parts[2], parts[3]
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, errf("SerializationException", "body: %v", err))
		return
	}
	c.mu.Lock()
	c.calls = append(c.calls, region+"/"+service+"/"+op)
	out, apiErr := c.dispatch(region, service, op, in)
	c.mu.Unlock()
	if apiErr != nil {
		writeErr(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Code": e.Code, "Message": e.Message})
}

func (c *Cloud) dispatch(region, service, op string, in map[string]any) (any, *apiError) {
	h, ok := map[string]func(string, map[string]any) (any, *apiError){
		"rds/CreateDBInstance":                        c.createDB,
		"rds/CreateDBInstanceReadReplica":             c.createReplica,
		"rds/DescribeDBInstances":                     c.describeDBs,
		"rds/ModifyDBInstance":                        c.modifyDB,
		"rds/PromoteReadReplica":                      c.promote,
		"rds/DeleteDBInstance":                        c.deleteDB,
		"eks/CreateCluster":                           c.createCluster,
		"eks/DescribeCluster":                         c.describeCluster,
		"kubernetes/ClusterForEndpoint":               c.clusterForEndpoint,
		"eks/DeleteCluster":                           c.deleteCluster,
		"eks/UpdateClusterConfig":                     c.updateCluster,
		"eks/UpdateClusterVersion":                    c.updateCluster,
		"eks/CreateNodegroup":                         c.createNodegroup,
		"eks/DescribeNodegroup":                       c.describeNodegroup,
		"eks/UpdateNodegroupConfig":                   c.updateNodegroup,
		"eks/UpdateNodegroupVersion":                  c.updateNodegroup,
		"eks/DeleteNodegroup":                         c.deleteNodegroup,
		"route53/ListHostedZonesByName":               c.listZones,
		"route53/GetHostedZone":                       c.getZone,
		"route53/CreateHealthCheck":                   c.createCheck,
		"route53/GetHealthCheck":                      c.getCheck,
		"route53/UpdateHealthCheck":                   c.updateCheck,
		"route53/DeleteHealthCheck":                   c.deleteCheck,
		"route53/ChangeTagsForResource":               func(string, map[string]any) (any, *apiError) { return map[string]any{}, nil },
		"route53/ChangeResourceRecordSets":            c.changeRecords,
		"route53/GetChange":                           c.getChange,
		"route53/ListResourceRecordSets":              c.listRecords,
		"monitoring/PutMetricAlarm":                   c.putAlarm,
		"monitoring/DescribeAlarms":                   c.describeAlarms,
		"monitoring/DeleteAlarms":                     c.deleteAlarms,
		"monitoring/PutDashboard":                     c.putDashboard,
		"monitoring/GetDashboard":                     c.getDashboard,
		"monitoring/DeleteDashboards":                 c.deleteDashboards,
		"secretsmanager/CreateSecret":                 c.createSecret,
		"secretsmanager/DescribeSecret":               c.describeSecret,
		"secretsmanager/UpdateSecret":                 c.updateSecret,
		"secretsmanager/ReplicateSecretToRegions":     c.replicateSecret,
		"secretsmanager/RemoveRegionsFromReplication": c.unreplicateSecret,
		"secretsmanager/DeleteSecret":                 c.deleteSecret,
		"secretsmanager/PutSecretValue":               c.putSecretValue,
		"secretsmanager/GetSecretValue":               c.getSecretValue,
		"secretsmanager/UpdateSecretVersionStage":     func(string, map[string]any) (any, *apiError) { return map[string]any{}, nil },
		"secretsmanager/PutResourcePolicy":            func(string, map[string]any) (any, *apiError) { return map[string]any{}, nil },
		"ecr/CreateRepository":                        c.createRepo,
		"ecr/DescribeRepositories":                    c.describeRepos,
		"ecr/DescribeImages":                          c.describeImages,
		"ecr/CreateRepositoryCreationTemplate":        c.putTemplate(false),
		"ecr/UpdateRepositoryCreationTemplate":        c.putTemplate(true),
		"ecr/DescribeRepositoryCreationTemplates":     c.describeTemplates,
		"ecr/DeleteRepositoryCreationTemplate":        c.deleteTemplate,
		"ecr/PutImageTagMutability":                   c.putRepoField("imageTagMutability"),
		"ecr/PutImageScanningConfiguration":           c.putRepoField("imageScanningConfiguration"),
		"ecr/DeleteRepository":                        c.deleteRepo,
		"ecr/PutReplicationConfiguration":             c.putReplication,
		"ecr/DescribeRegistry":                        c.describeRegistry,
		"autoscaling/CreateLaunchConfiguration":       c.createLC,
		"autoscaling/DescribeLaunchConfigurations":    c.describeLCs,
		"autoscaling/DeleteLaunchConfiguration":       c.deleteLC,
	}[service+"/"+op]
	if !ok {
		return nil, &apiError{status: http.StatusBadRequest, Code: "UnknownOperationException", Message: fmt.Sprintf("the fake does not serve %s %s", service, op)}
	}
	return h(region, in)
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func num(m map[string]any, k string) (int, bool) {
	f, ok := m[k].(float64)
	return int(f), ok
}

func flag(m map[string]any, k string) (bool, bool) {
	b, ok := m[k].(bool)
	return b, ok
}

func strs(m map[string]any, k string) []string {
	l, _ := m[k].([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
