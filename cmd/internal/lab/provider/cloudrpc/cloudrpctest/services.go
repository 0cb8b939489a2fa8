package cloudrpctest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ---- EKS -----------------------------------------------------------------

type eksCluster struct {
	shape     map[string]any
	busyUntil time.Time
	goneAt    time.Time
}

func (c *Cloud) cluster(region, name string) *eksCluster {
	k := region + "/" + name
	cl := c.clusters[k]
	if cl != nil && !cl.goneAt.IsZero() && time.Now().After(cl.goneAt) {
		delete(c.clusters, k)
		return nil
	}
	return cl
}

func (cl *eksCluster) view() map[string]any {
	out := map[string]any{}
	for k, v := range cl.shape {
		out[k] = v
	}
	switch {
	case !cl.goneAt.IsZero():
		out["status"] = "DELETING"
	case time.Now().Before(cl.busyUntil):
		out["status"] = "CREATING"
	default:
		out["status"] = "ACTIVE"
	}
	return out
}

// createCluster: ResourceInUseException for a used name
// (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html).
func (c *Cloud) createCluster(region string, in map[string]any) (any, *apiError) {
	name := str(in, "name")
	if c.cluster(region, name) != nil {
		return nil, errf("ResourceInUseException", "Cluster already exists with name: %s", name)
	}
	vpc, _ := in["resourcesVpcConfig"].(map[string]any)
	if len(strs(vpc, "subnetIds")) < 2 {
		return nil, errf("InvalidParameterException", "Subnets specified must be in at least two different AZs")
	}
	vpc["clusterSecurityGroupId"] = "sg-" + randHex(17)
	vpc["vpcId"] = "vpc-" + randHex(17)
	id := strings.ToUpper(randHex(32))
	version := str(in, "version")
	if version == "" {
		// EKS creates the latest version when none is named
		// (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html).
		version = "1.35"
	}
	authMode := "CONFIG_MAP"
	if ac, ok := in["accessConfig"].(map[string]any); ok && str(ac, "authenticationMode") != "" {
		authMode = str(ac, "authenticationMode")
	}
	shape := map[string]any{
		"name": name, "arn": fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, c.Account, name),
		"createdAt": time.Now().UTC().Format(time.RFC3339), "version": version,
		// EKS's endpoint shape; its /healthz is answered by the
		// kubernetes/ClusterForEndpoint operation, as the lab cloud does.
		"endpoint": fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(id), region), "roleArn": str(in, "roleArn"), "platformVersion": "eks.20",
		"resourcesVpcConfig":      vpc,
		"kubernetesNetworkConfig": map[string]any{"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
		"logging":                 in["logging"],
		"identity":                map[string]any{"oidc": map[string]any{"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", region, id)}},
		"certificateAuthority":    map[string]any{"data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\n" + id + "\n-----END CERTIFICATE-----\n"))},
		"accessConfig":            map[string]any{"authenticationMode": authMode, "bootstrapClusterCreatorAdminPermissions": true},
		"encryptionConfig":        in["encryptionConfig"],
		"tags":                    in["tags"],
	}
	c.clusters[region+"/"+name] = &eksCluster{shape: shape, busyUntil: time.Now().Add(c.Delay)}
	return map[string]any{"cluster": c.clusters[region+"/"+name].view()}, nil
}

// clusterForEndpoint answers for an API server's /healthz: found while a
// cluster with that endpoint exists (EKS serves /healthz to anonymous
// callers), refused otherwise.
func (c *Cloud) clusterForEndpoint(region string, in map[string]any) (any, *apiError) {
	for _, cl := range c.clusters {
		if v := cl.view(); v["endpoint"] == str(in, "Endpoint") && strings.Contains(str(in, "Endpoint"), "."+region+".") {
			return map[string]any{"Cluster": v["name"]}, nil
		}
	}
	return nil, errf("ResourceNotFoundException", "No cluster found for endpoint %s.", str(in, "Endpoint"))
}

func (c *Cloud) describeCluster(region string, in map[string]any) (any, *apiError) {
	cl := c.cluster(region, str(in, "name"))
	if cl == nil {
		return nil, errf("ResourceNotFoundException", "No cluster found for name: %s.", str(in, "name"))
	}
	return map[string]any{"cluster": cl.view()}, nil
}

func (c *Cloud) updateCluster(region string, in map[string]any) (any, *apiError) {
	cl := c.cluster(region, str(in, "name"))
	if cl == nil {
		return nil, errf("ResourceNotFoundException", "No cluster found for name: %s.", str(in, "name"))
	}
	if v := str(in, "version"); v != "" {
		cl.shape["version"] = v
	}
	if vpc, ok := in["resourcesVpcConfig"].(map[string]any); ok {
		cur := cl.shape["resourcesVpcConfig"].(map[string]any)
		for k, v := range vpc {
			cur[k] = v
		}
	}
	if l, ok := in["logging"]; ok {
		cl.shape["logging"] = l
	}
	if ac, ok := in["accessConfig"].(map[string]any); ok {
		cl.shape["accessConfig"].(map[string]any)["authenticationMode"] = str(ac, "authenticationMode")
	}
	cl.busyUntil = time.Now().Add(c.Delay)
	return map[string]any{"update": map[string]any{"id": randHex(8), "status": "InProgress"}}, nil
}

// deleteCluster: refused while node groups remain (ResourceInUseException,
// API_DeleteCluster).
func (c *Cloud) deleteCluster(region string, in map[string]any) (any, *apiError) {
	name := str(in, "name")
	cl := c.cluster(region, name)
	if cl == nil {
		return nil, errf("ResourceNotFoundException", "No cluster found for name: %s.", name)
	}
	for k := range c.nodegroups {
		if strings.HasPrefix(k, region+"/"+name+"/") && c.nodegroup(k) != nil {
			return nil, errf("ResourceInUseException", "Cluster has nodegroups attached")
		}
	}
	cl.goneAt = time.Now().Add(c.Delay)
	return map[string]any{"cluster": cl.view()}, nil
}

type nodegroup struct {
	shape     map[string]any
	busyUntil time.Time
	goneAt    time.Time
}

func (c *Cloud) nodegroup(key string) *nodegroup {
	ng := c.nodegroups[key]
	if ng != nil && !ng.goneAt.IsZero() && time.Now().After(ng.goneAt) {
		delete(c.nodegroups, key)
		return nil
	}
	return ng
}

func (ng *nodegroup) view() map[string]any {
	out := map[string]any{}
	for k, v := range ng.shape {
		out[k] = v
	}
	switch {
	case !ng.goneAt.IsZero():
		out["status"] = "DELETING"
	case time.Now().Before(ng.busyUntil):
		out["status"] = "UPDATING"
	default:
		out["status"] = "ACTIVE"
	}
	return out
}

// checkScaling is API_NodegroupScalingConfig's rule: min <= desired <= max,
// max >= 1.
func checkScaling(sc map[string]any) *apiError {
	lo, _ := num(sc, "minSize")
	d, _ := num(sc, "desiredSize")
	hi, _ := num(sc, "maxSize")
	if hi < 1 || lo > d || d > hi {
		return errf("InvalidParameterException", "Minimum capacity %d can't be greater than desired size %d, and desired %d can't exceed maximum %d", lo, d, d, hi)
	}
	return nil
}

func (c *Cloud) createNodegroup(region string, in map[string]any) (any, *apiError) {
	cluster, name := str(in, "clusterName"), str(in, "nodegroupName")
	if cl := c.cluster(region, cluster); cl == nil {
		return nil, errf("ResourceNotFoundException", "No cluster found for name: %s.", cluster)
	}
	key := region + "/" + cluster + "/" + name
	if c.nodegroup(key) != nil {
		return nil, errf("ResourceInUseException", "NodeGroup already exists with name %s and cluster name %s", name, cluster)
	}
	sc, _ := in["scalingConfig"].(map[string]any)
	if e := checkScaling(sc); e != nil {
		return nil, e
	}
	id := randHex(8) + "-" + randHex(4) + "-" + randHex(4) + "-" + randHex(4) + "-" + randHex(12)
	shape := map[string]any{}
	for k, v := range in {
		shape[k] = v
	}
	shape["nodegroupArn"] = fmt.Sprintf("arn:aws:eks:%s:%s:nodegroup/%s/%s/%s", region, c.Account, cluster, name, id)
	shape["resources"] = map[string]any{"autoScalingGroups": []any{map[string]any{"name": "eks-" + name + "-" + id}}}
	if _, ok := shape["version"]; !ok {
		shape["version"] = c.clusters[region+"/"+cluster].shape["version"]
	}
	shape["releaseVersion"] = "1.31.7-20250610"
	if _, ok := shape["capacityType"]; !ok {
		shape["capacityType"] = "ON_DEMAND"
	}
	c.nodegroups[key] = &nodegroup{shape: shape, busyUntil: time.Now().Add(c.Delay)}
	return map[string]any{"nodegroup": c.nodegroups[key].view()}, nil
}

func (c *Cloud) describeNodegroup(region string, in map[string]any) (any, *apiError) {
	ng := c.nodegroup(region + "/" + str(in, "clusterName") + "/" + str(in, "nodegroupName"))
	if ng == nil {
		return nil, errf("ResourceNotFoundException", "No node group found for name: %s.", str(in, "nodegroupName"))
	}
	return map[string]any{"nodegroup": ng.view()}, nil
}

func (c *Cloud) updateNodegroup(region string, in map[string]any) (any, *apiError) {
	ng := c.nodegroup(region + "/" + str(in, "clusterName") + "/" + str(in, "nodegroupName"))
	if ng == nil {
		return nil, errf("ResourceNotFoundException", "No node group found for name: %s.", str(in, "nodegroupName"))
	}
	if time.Now().Before(ng.busyUntil) {
		return nil, errf("ResourceInUseException", "Nodegroup cannot be updated as it is currently not in Active State")
	}
	if sc, ok := in["scalingConfig"].(map[string]any); ok {
		if e := checkScaling(sc); e != nil {
			return nil, e
		}
		ng.shape["scalingConfig"] = sc
	}
	for _, k := range []string{"version", "releaseVersion", "updateConfig"} {
		if v, ok := in[k]; ok {
			ng.shape[k] = v
		}
	}
	ng.busyUntil = time.Now().Add(c.Delay)
	return map[string]any{"update": map[string]any{"id": randHex(8), "status": "InProgress"}}, nil
}

func (c *Cloud) deleteNodegroup(region string, in map[string]any) (any, *apiError) {
	ng := c.nodegroup(region + "/" + str(in, "clusterName") + "/" + str(in, "nodegroupName"))
	if ng == nil {
		return nil, errf("ResourceNotFoundException", "No node group found for name: %s.", str(in, "nodegroupName"))
	}
	ng.goneAt = time.Now().Add(c.Delay)
	return map[string]any{"nodegroup": ng.view()}, nil
}

// ScaleNodegroup changes a node group's scaling as
// `aws eks update-nodegroup-config` would.
func (c *Cloud) ScaleNodegroup(region, cluster, name string, lo, desired, hi int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.updateNodegroup(region, map[string]any{"clusterName": cluster, "nodegroupName": name,
		"scalingConfig": map[string]any{"minSize": float64(lo), "desiredSize": float64(desired), "maxSize": float64(hi)}})
	if err != nil {
		return fmt.Errorf("%s: %s", err.Code, err.Message)
	}
	return nil
}

// ---- Route 53 (global, us-east-1) ----------------------------------------

type zone struct {
	id, name string
	records  map[string]map[string]any // key name|type|setIdentifier
}

func (c *Cloud) listZones(_ string, in map[string]any) (any, *apiError) {
	var out []any
	want := strings.TrimSuffix(str(in, "DNSName"), ".") + "."
	for _, id := range sortedKeys(c.zones) {
		z := c.zones[id]
		if str(in, "DNSName") != "" && z.name < want {
			continue
		}
		out = append(out, map[string]any{"Id": "/hostedzone/" + z.id, "Name": z.name, "CallerReference": z.id,
			"Config": map[string]any{"PrivateZone": false}, "ResourceRecordSetCount": len(z.records)})
	}
	return map[string]any{"HostedZones": out}, nil
}

func (c *Cloud) getZone(_ string, in map[string]any) (any, *apiError) {
	z := c.zones[strings.TrimPrefix(str(in, "Id"), "/hostedzone/")]
	if z == nil {
		return nil, errf("NoSuchHostedZone", "No hosted zone found with ID: %s", str(in, "Id"))
	}
	return map[string]any{"HostedZone": map[string]any{"Id": "/hostedzone/" + z.id, "Name": z.name}}, nil
}

// createCheck validates the config the way Route 53 does for the types the
// program uses (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html):
// a CALCULATED check's children must exist; an HTTPS check needs a name or
// an address.
func (c *Cloud) createCheck(_ string, in map[string]any) (any, *apiError) {
	cfg, _ := in["HealthCheckConfig"].(map[string]any)
	switch str(cfg, "Type") {
	case "CALCULATED":
		for _, child := range strs(cfg, "ChildHealthChecks") {
			if c.checks[child] == nil {
				return nil, errf("NoSuchHealthCheck", "A health check with id %s does not exist.", child)
			}
		}
	case "HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP":
		if str(cfg, "FullyQualifiedDomainName") == "" && str(cfg, "IPAddress") == "" {
			return nil, errf("InvalidInput", "a health check needs a domain name or an IP address")
		}
	case "CLOUDWATCH_METRIC":
		if _, ok := cfg["AlarmIdentifier"]; !ok {
			return nil, errf("InvalidInput", "AlarmIdentifier is required for CLOUDWATCH_METRIC health checks")
		}
	default:
		return nil, errf("InvalidInput", "unknown health check type %q", str(cfg, "Type"))
	}
	id := randHex(8) + "-" + randHex(4) + "-" + randHex(4) + "-" + randHex(4) + "-" + randHex(12)
	c.checks[id] = map[string]any{"Id": id, "CallerReference": str(in, "CallerReference"), "HealthCheckConfig": cfg, "HealthCheckVersion": 1}
	return map[string]any{"HealthCheck": c.checks[id]}, nil
}

func (c *Cloud) getCheck(_ string, in map[string]any) (any, *apiError) {
	hc := c.checks[str(in, "HealthCheckId")]
	if hc == nil {
		return nil, errf("NoSuchHealthCheck", "A health check with id %s does not exist.", str(in, "HealthCheckId"))
	}
	return map[string]any{"HealthCheck": hc}, nil
}

func (c *Cloud) updateCheck(_ string, in map[string]any) (any, *apiError) {
	hc := c.checks[str(in, "HealthCheckId")]
	if hc == nil {
		return nil, errf("NoSuchHealthCheck", "A health check with id %s does not exist.", str(in, "HealthCheckId"))
	}
	cfg := hc["HealthCheckConfig"].(map[string]any)
	for k, v := range in {
		if k != "HealthCheckId" && k != "ResetElements" && k != "HealthCheckVersion" {
			cfg[k] = v
		}
	}
	return map[string]any{"HealthCheck": hc}, nil
}

// deleteCheck: a check still used by a record or a calculated check is
// refused (HealthCheckInUse, API_DeleteHealthCheck).
func (c *Cloud) deleteCheck(_ string, in map[string]any) (any, *apiError) {
	id := str(in, "HealthCheckId")
	if c.checks[id] == nil {
		return nil, errf("NoSuchHealthCheck", "A health check with id %s does not exist.", id)
	}
	for _, z := range c.zones {
		for _, rs := range z.records {
			if str(rs, "HealthCheckId") == id {
				return nil, errf("HealthCheckInUse", "The health check %s is still referenced from a resource record set.", id)
			}
		}
	}
	for _, other := range c.checks {
		cfg, _ := other["HealthCheckConfig"].(map[string]any)
		for _, child := range strs(cfg, "ChildHealthChecks") {
			if child == id {
				return nil, errf("HealthCheckInUse", "The health check %s is a child of %s.", id, other["Id"])
			}
		}
	}
	delete(c.checks, id)
	return map[string]any{}, nil
}

func recordKey(rs map[string]any) string {
	return strings.ToLower(strings.TrimSuffix(str(rs, "Name"), ".")) + "|" + str(rs, "Type") + "|" + str(rs, "SetIdentifier")
}

// changeRecords applies a batch atomically: CREATE of an existing record,
// DELETE of a missing one and a DELETE that does not match the record are
// refused (InvalidChangeBatch, API_ChangeResourceRecordSets).
func (c *Cloud) changeRecords(_ string, in map[string]any) (any, *apiError) {
	z := c.zones[strings.TrimPrefix(str(in, "HostedZoneId"), "/hostedzone/")]
	if z == nil {
		return nil, errf("NoSuchHostedZone", "No hosted zone found with ID: %s", str(in, "HostedZoneId"))
	}
	batch, _ := in["ChangeBatch"].(map[string]any)
	changes, _ := batch["Changes"].([]any)
	next := map[string]map[string]any{}
	for k, v := range z.records {
		next[k] = v
	}
	for _, ch := range changes {
		m, _ := ch.(map[string]any)
		rs, _ := m["ResourceRecordSet"].(map[string]any)
		key := recordKey(rs)
		if hc := str(rs, "HealthCheckId"); hc != "" && c.checks[hc] == nil {
			return nil, errf("InvalidChangeBatch", "The health check %s does not exist", hc)
		}
		switch str(m, "Action") {
		case "CREATE":
			if next[key] != nil {
				return nil, errf("InvalidChangeBatch", "[Tried to create resource record set [name='%s', type='%s'] but it already exists]", str(rs, "Name"), str(rs, "Type"))
			}
			next[key] = rs
		case "UPSERT":
			next[key] = rs
		case "DELETE":
			if next[key] == nil {
				return nil, errf("InvalidChangeBatch", "[Tried to delete resource record set [name='%s', type='%s'] but it was not found]", str(rs, "Name"), str(rs, "Type"))
			}
			delete(next, key)
		default:
			return nil, errf("InvalidInput", "unknown action %q", str(m, "Action"))
		}
	}
	z.records = next
	return map[string]any{"ChangeInfo": map[string]any{"Id": "/change/C" + strings.ToUpper(randHex(12)), "Status": "PENDING"}}, nil
}

func (c *Cloud) getChange(_ string, in map[string]any) (any, *apiError) {
	return map[string]any{"ChangeInfo": map[string]any{"Id": str(in, "Id"), "Status": "INSYNC"}}, nil
}

func (c *Cloud) listRecords(_ string, in map[string]any) (any, *apiError) {
	z := c.zones[strings.TrimPrefix(str(in, "HostedZoneId"), "/hostedzone/")]
	if z == nil {
		return nil, errf("NoSuchHostedZone", "No hosted zone found with ID: %s", str(in, "HostedZoneId"))
	}
	var out []any
	for _, k := range sortedKeys(z.records) {
		out = append(out, z.records[k])
	}
	return map[string]any{"ResourceRecordSets": out, "IsTruncated": false}, nil
}

// Record returns a record set (nil if absent).
func (c *Cloud) Record(zoneID, name, typ, setID string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.zones[zoneID].records[strings.ToLower(name)+"|"+typ+"|"+setID]
}

// HealthCheckConfig returns a health check's configuration.
func (c *Cloud) HealthCheckConfig(id string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc := c.checks[id]; hc != nil {
		return hc["HealthCheckConfig"].(map[string]any)
	}
	return nil
}

// ---- CloudWatch ------------------------------------------------------------

func (c *Cloud) putAlarm(region string, in map[string]any) (any, *apiError) {
	name := str(in, "AlarmName")
	if name == "" {
		return nil, errf("ValidationError", "AlarmName is required")
	}
	if p, ok := num(in, "Period"); ok && p != 10 && p != 20 && p != 30 && p%60 != 0 {
		return nil, errf("ValidationError", "Period must be 10, 20, 30 or a multiple of 60")
	}
	alarm := map[string]any{}
	for k, v := range in {
		alarm[k] = v
	}
	alarm["AlarmArn"] = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, c.Account, name)
	alarm["StateValue"] = "INSUFFICIENT_DATA"
	c.alarms[region+"/"+name] = alarm
	return map[string]any{}, nil
}

func (c *Cloud) describeAlarms(region string, in map[string]any) (any, *apiError) {
	var out []any
	for _, n := range strs(in, "AlarmNames") {
		if a := c.alarms[region+"/"+n]; a != nil {
			out = append(out, a)
		}
	}
	return map[string]any{"MetricAlarms": out}, nil
}

func (c *Cloud) deleteAlarms(region string, in map[string]any) (any, *apiError) {
	for _, n := range strs(in, "AlarmNames") {
		if c.alarms[region+"/"+n] == nil {
			return nil, errf("ResourceNotFound", "alarm %s not found", n)
		}
		delete(c.alarms, region+"/"+n)
	}
	return map[string]any{}, nil
}

// Alarm returns an alarm's definition.
func (c *Cloud) Alarm(region, name string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alarms[region+"/"+name]
}

func (c *Cloud) putDashboard(region string, in map[string]any) (any, *apiError) {
	c.dashboards[region+"/"+str(in, "DashboardName")] = str(in, "DashboardBody")
	return map[string]any{"DashboardValidationMessages": []any{}}, nil
}

func (c *Cloud) getDashboard(region string, in map[string]any) (any, *apiError) {
	body, ok := c.dashboards[region+"/"+str(in, "DashboardName")]
	if !ok {
		return nil, errf("ResourceNotFound", "Dashboard %s does not exist", str(in, "DashboardName"))
	}
	return map[string]any{"DashboardName": str(in, "DashboardName"), "DashboardBody": body}, nil
}

func (c *Cloud) deleteDashboards(region string, in map[string]any) (any, *apiError) {
	for _, n := range strs(in, "DashboardNames") {
		delete(c.dashboards, region+"/"+n)
	}
	return map[string]any{}, nil
}

// ---- Secrets Manager ----------------------------------------------------------

type secret struct {
	region, name, arn, kms string
	primary                string // home region; == region for the primary
	replicas               map[string]string
	value                  string
	version                string
	deleted                bool
}

func (c *Cloud) findSecret(region, id string) *secret {
	for _, s := range c.secrets {
		if s.region == region && (s.arn == id || s.name == id) {
			return s
		}
	}
	return nil
}

// createSecret: ResourceExistsException for a name in use in the region or
// in a replica region (API_CreateSecret).
func (c *Cloud) createSecret(region string, in map[string]any) (any, *apiError) {
	name := str(in, "Name")
	if c.findSecret(region, name) != nil {
		return nil, errf("ResourceExistsException", "The operation failed because the secret %s already exists.", name)
	}
	suffix := randHex(6)
	s := &secret{region: region, name: name, kms: str(in, "KmsKeyId"), primary: region, replicas: map[string]string{},
		arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, c.Account, name, suffix)}
	c.secrets[region+"/"+name] = s
	if reps, ok := in["AddReplicaRegions"].([]any); ok {
		if e := c.addReplicas(s, reps); e != nil {
			return nil, e
		}
	}
	return map[string]any{"ARN": s.arn, "Name": name}, nil
}

func (c *Cloud) addReplicas(s *secret, reps []any) *apiError {
	for _, r := range reps {
		m, _ := r.(map[string]any)
		reg := str(m, "Region")
		if c.findSecret(reg, s.name) != nil {
			return errf("ResourceExistsException", "a secret named %s already exists in %s", s.name, reg)
		}
		s.replicas[reg] = str(m, "KmsKeyId")
		c.secrets[reg+"/"+s.name] = &secret{region: reg, name: s.name, primary: s.region, replicas: map[string]string{},
			arn: strings.Replace(s.arn, ":"+s.region+":", ":"+reg+":", 1), value: s.value, version: s.version}
	}
	return nil
}

func (c *Cloud) describeSecret(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	out := map[string]any{"ARN": s.arn, "Name": s.name, "KmsKeyId": s.kms, "PrimaryRegion": s.primary}
	var reps []any
	for _, r := range sortedKeys(s.replicas) {
		reps = append(reps, map[string]any{"Region": r, "KmsKeyId": s.replicas[r], "Status": "InSync", "StatusMessage": "Replication succeeded"})
	}
	if reps != nil {
		out["ReplicationStatus"] = reps
	}
	if s.deleted {
		out["DeletedDate"] = time.Now().Unix()
	}
	return out, nil
}

func (c *Cloud) updateSecret(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	if s.primary != s.region {
		return nil, errf("InvalidRequestException", "Operation not permitted on a replica secret. Call must be made in primary secret's region.")
	}
	if k := str(in, "KmsKeyId"); k != "" {
		s.kms = k
	}
	return map[string]any{"ARN": s.arn, "Name": s.name}, nil
}

func (c *Cloud) replicateSecret(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	reps, _ := in["AddReplicaRegions"].([]any)
	if e := c.addReplicas(s, reps); e != nil {
		return nil, e
	}
	return map[string]any{"ARN": s.arn}, nil
}

func (c *Cloud) unreplicateSecret(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	for _, r := range strs(in, "RemoveReplicaRegions") {
		delete(s.replicas, r)
		delete(c.secrets, r+"/"+s.name)
	}
	return map[string]any{"ARN": s.arn}, nil
}

// deleteSecret: a primary secret with replicas cannot be deleted
// (API_DeleteSecret: "You can't delete a primary secret that has replicas").
func (c *Cloud) deleteSecret(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	if len(s.replicas) > 0 {
		return nil, errf("InvalidRequestException", "You can't delete secret %s that still has replica regions [%s]", s.name, strings.Join(sortedKeys(s.replicas), ", "))
	}
	if force, _ := flag(in, "ForceDeleteWithoutRecovery"); force {
		delete(c.secrets, region+"/"+s.name)
	} else {
		s.deleted = true
	}
	return map[string]any{"ARN": s.arn, "Name": s.name}, nil
}

// putSecretValue: refused on a replica (InvalidRequestException).
func (c *Cloud) putSecretValue(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil || s.deleted {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	if s.primary != s.region {
		return nil, errf("InvalidRequestException", "Operation not permitted on a replica secret. Call must be made in primary secret's region.")
	}
	s.value, s.version = str(in, "SecretString"), randHex(8)+"-"+randHex(4)+"-"+randHex(4)+"-"+randHex(4)+"-"+randHex(12)
	for r := range s.replicas {
		if rep := c.secrets[r+"/"+s.name]; rep != nil {
			rep.value, rep.version = s.value, s.version
		}
	}
	return map[string]any{"ARN": s.arn, "Name": s.name, "VersionId": s.version, "VersionStages": []any{"AWSCURRENT"}}, nil
}

func (c *Cloud) getSecretValue(region string, in map[string]any) (any, *apiError) {
	s := c.findSecret(region, str(in, "SecretId"))
	if s == nil || s.deleted || s.version == "" {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value.")
	}
	if v := str(in, "VersionId"); v != "" && v != s.version {
		return nil, errf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", v)
	}
	return map[string]any{"ARN": s.arn, "Name": s.name, "SecretString": s.value, "VersionId": s.version, "VersionStages": []any{"AWSCURRENT"}}, nil
}

// SecretValue returns a secret's current value in a region.
func (c *Cloud) SecretValue(region, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.findSecret(region, name)
	if s == nil {
		return "", false
	}
	return s.value, true
}

// ---- ECR -----------------------------------------------------------------------

func (c *Cloud) createRepo(region string, in map[string]any) (any, *apiError) {
	name := str(in, "repositoryName")
	if c.repos[region+"/"+name] != nil {
		return nil, errf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, c.Account)
	}
	enc, _ := in["encryptionConfiguration"].(map[string]any)
	if enc == nil {
		enc = map[string]any{"encryptionType": "AES256"}
	}
	repo := map[string]any{
		"repositoryArn": fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, c.Account, name), "registryId": c.Account,
		"repositoryName": name, "repositoryUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", c.Account, region, name),
		"imageTagMutability": str(in, "imageTagMutability"), "imageScanningConfiguration": in["imageScanningConfiguration"],
		"encryptionConfiguration": enc,
	}
	c.repos[region+"/"+name] = repo
	return map[string]any{"repository": repo}, nil
}

func (c *Cloud) describeRepos(region string, in map[string]any) (any, *apiError) {
	var out []any
	for _, n := range strs(in, "repositoryNames") {
		r := c.repos[region+"/"+n]
		if r == nil {
			return nil, errf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", n, c.Account)
		}
		out = append(out, r)
	}
	return map[string]any{"repositories": out}, nil
}

// PushImage records an image tag in an existing repository.
func (c *Cloud) PushImage(region, repo, tag string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.repos[region+"/"+repo] == nil {
		return fmt.Errorf("no repository %s in %s", repo, region)
	}
	c.images[region+"/"+repo] = append(c.images[region+"/"+repo], tag)
	return nil
}

// describeImages answers by tag: an unknown repository or tag is refused
// as ECR refuses it (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html).
func (c *Cloud) describeImages(region string, in map[string]any) (any, *apiError) {
	name := str(in, "repositoryName")
	if c.repos[region+"/"+name] == nil {
		return nil, errf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, c.Account)
	}
	var out []any
	ids, _ := in["imageIds"].([]any)
	for _, v := range ids {
		id, _ := v.(map[string]any)
		tag := str(id, "imageTag")
		if !slices.Contains(c.images[region+"/"+name], tag) {
			return nil, errf("ImageNotFoundException", "The image with imageId {imageDigest:'null', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'", tag, name, c.Account)
		}
		out = append(out, map[string]any{"repositoryName": name, "imageTags": []any{tag}})
	}
	return map[string]any{"imageDetails": out}, nil
}

// putTemplate creates (or, exists, updates) a repository creation
// template; a second create and an update of a missing prefix are refused
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html).
func (c *Cloud) putTemplate(exists bool) func(string, map[string]any) (any, *apiError) {
	return func(region string, in map[string]any) (any, *apiError) {
		prefix := str(in, "prefix")
		switch have := c.templates[region+"/"+prefix] != nil; {
		case have && !exists:
			return nil, errf("TemplateAlreadyExistsException", "The repository creation template with prefix '%s' already exists in the registry with id '%s'", prefix, c.Account)
		case !have && exists:
			return nil, errf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", prefix, c.Account)
		}
		c.templates[region+"/"+prefix] = in
		return map[string]any{"registryId": c.Account, "repositoryCreationTemplate": in}, nil
	}
}

func (c *Cloud) describeTemplates(region string, in map[string]any) (any, *apiError) {
	var out []any
	for _, p := range strs(in, "prefixes") {
		t := c.templates[region+"/"+p]
		if t == nil {
			return nil, errf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", p, c.Account)
		}
		out = append(out, t)
	}
	return map[string]any{"registryId": c.Account, "repositoryCreationTemplates": out}, nil
}

func (c *Cloud) deleteTemplate(region string, in map[string]any) (any, *apiError) {
	prefix := str(in, "prefix")
	t := c.templates[region+"/"+prefix]
	if t == nil {
		return nil, errf("TemplateNotFoundException", "The repository creation template with prefix '%s' does not exist in the registry with id '%s'", prefix, c.Account)
	}
	delete(c.templates, region+"/"+prefix)
	return map[string]any{"registryId": c.Account, "repositoryCreationTemplate": t}, nil
}

func (c *Cloud) putRepoField(field string) func(string, map[string]any) (any, *apiError) {
	return func(region string, in map[string]any) (any, *apiError) {
		r := c.repos[region+"/"+str(in, "repositoryName")]
		if r == nil {
			return nil, errf("RepositoryNotFoundException", "The repository with name '%s' does not exist", str(in, "repositoryName"))
		}
		r[field] = in[field]
		return map[string]any{}, nil
	}
}

func (c *Cloud) deleteRepo(region string, in map[string]any) (any, *apiError) {
	if c.repos[region+"/"+str(in, "repositoryName")] == nil {
		return nil, errf("RepositoryNotFoundException", "The repository with name '%s' does not exist", str(in, "repositoryName"))
	}
	delete(c.repos, region+"/"+str(in, "repositoryName"))
	return map[string]any{}, nil
}

func (c *Cloud) putReplication(region string, in map[string]any) (any, *apiError) {
	rc, _ := in["replicationConfiguration"].(map[string]any)
	c.registries[region] = rc
	return map[string]any{"replicationConfiguration": rc}, nil
}

func (c *Cloud) describeRegistry(region string, _ map[string]any) (any, *apiError) {
	rc := c.registries[region]
	if rc == nil {
		rc = map[string]any{"rules": []any{}}
	}
	return map[string]any{"registryId": c.Account, "replicationConfiguration": rc}, nil
}

// ---- Auto Scaling --------------------------------------------------------------

func (c *Cloud) createLC(region string, in map[string]any) (any, *apiError) {
	if !c.AllowLaunchConfigurations {
		return nil, errf("UnsupportedOperation", "The Launch Configuration creation operation is not available in your account. Use launch templates to create configuration templates for your Auto Scaling groups.")
	}
	name := str(in, "LaunchConfigurationName")
	if c.lcs[region+"/"+name] {
		return nil, errf("AlreadyExists", "Launch Configuration by this name already exists - A launch configuration already exists with the name %s", name)
	}
	c.lcs[region+"/"+name] = true
	return map[string]any{}, nil
}

func (c *Cloud) describeLCs(region string, in map[string]any) (any, *apiError) {
	var out []any
	for _, n := range strs(in, "LaunchConfigurationNames") {
		if c.lcs[region+"/"+n] {
			out = append(out, map[string]any{"LaunchConfigurationName": n,
				"LaunchConfigurationARN": fmt.Sprintf("arn:aws:autoscaling:%s:%s:launchConfiguration:%s:launchConfigurationName/%s", region, c.Account, randHex(8), n)})
		}
	}
	return map[string]any{"LaunchConfigurations": out}, nil
}

func (c *Cloud) deleteLC(region string, in map[string]any) (any, *apiError) {
	name := str(in, "LaunchConfigurationName")
	if !c.lcs[region+"/"+name] {
		return nil, errf("ValidationError", "Launch configuration name not found - %s", name)
	}
	delete(c.lcs, region+"/"+name)
	return map[string]any{}, nil
}
