package aws

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider/cloudrpc"
)

// route53Region is where Route 53's control plane answers: the API is
// global and served from us-east-1
// (https://docs.aws.amazon.com/general/latest/gr/r53.html), whatever region
// the calling provider is configured for.
const route53Region = "us-east-1"

const (
	recordFile      = tfaws + ":internal/service/route53/record.go"
	healthCheckFile = tfaws + ":internal/service/route53/health_check.go"
)

// cleanZoneID strips the "/hostedzone/" prefix (recordFile: cleanZoneID).
func cleanZoneID(id string) string { return strings.TrimPrefix(id, "/hostedzone/") }

// normalizeName is recordFile's name StateFunc: no trailing dot, lowercase.
func normalizeName(n string) string { return strings.ToLower(strings.TrimSuffix(n, ".")) }

// ---- hosted zone lookup ------------------------------------------------------

// getZone serves aws:route53/getZone:getZone from the lab's hosted zones
// (ListHostedZonesByName, as internal/service/route53/zone_data_source.go
// does when only a name is given).
func getZone(c *provider.Ctx, args provider.Props) (provider.Props, error) {
	cloud, err := c.Cloud()
	if err != nil {
		return nil, err
	}
	name := normalizeName(provider.Str(args, "name"))
	wantID := cleanZoneID(provider.Str(args, "zoneId"))
	private := provider.Bool(args, "privateZone", false)
	var out struct {
		HostedZones []struct {
			Id, Name, CallerReference string
			Config                    struct {
				Comment     string
				PrivateZone bool
			}
			ResourceRecordSetCount int
		}
	}
	req := map[string]any{}
	if name != "" {
		req["DNSName"] = name + "."
	}
	if err := cloud.Call(c, route53Region, "route53", "ListHostedZonesByName", req, &out); err != nil {
		return nil, err
	}
	var matches []map[string]any
	for _, z := range out.HostedZones {
		id := cleanZoneID(z.Id)
		if (name != "" && normalizeName(z.Name) != name) || (wantID != "" && id != wantID) || z.Config.PrivateZone != private {
			continue
		}
		matches = append(matches, map[string]any{
			"id": id, "zoneId": id, "name": normalizeName(z.Name), "privateZone": z.Config.PrivateZone,
			"callerReference": z.CallerReference, "comment": z.Config.Comment,
			"resourceRecordSetCount": z.ResourceRecordSetCount,
			"arn":                    "arn:aws:route53:::hostedzone/" + id,
			"nameServers":            []any{"ns-1.awsdns-00.com", "ns-2.awsdns-00.net", "ns-3.awsdns-00.org", "ns-4.awsdns-00.co.uk"},
			"tags":                   map[string]any{},
		})
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("no matching Route 53 Hosted Zone found (name %q, private %v)", name, private)
	case 1:
		return provider.FromGo(matches[0]), nil
	default:
		return nil, fmt.Errorf("multiple Route 53 Hosted Zones matched (name %q); use additional constraints to reduce matches to a single Hosted Zone", name)
	}
}

// ---- health checks -----------------------------------------------------------

// healthCheckConfig maps pulumi-aws's inputs to HealthCheckConfig
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html).
func healthCheckConfig(in provider.Props, update bool) map[string]any {
	cfg := map[string]any{}
	names := map[string]string{
		"ipAddress": "IPAddress", "port": "Port", "resourcePath": "ResourcePath", "fqdn": "FullyQualifiedDomainName",
		"searchString": "SearchString", "failureThreshold": "FailureThreshold", "invertHealthcheck": "Inverted",
		"disabled": "Disabled", "childHealthThreshold": "HealthThreshold", "enableSni": "EnableSNI",
		"insufficientDataHealthStatus": "InsufficientDataHealthStatus",
	}
	if !update {
		// Type, RequestInterval, MeasureLatency and RoutingControlArn are
		// set at creation only (ForceNew).
		for k, v := range map[string]string{"type": "Type", "requestInterval": "RequestInterval", "measureLatency": "MeasureLatency", "routingControlArn": "RoutingControlArn"} {
			names[k] = v
		}
	}
	optional(cfg, in, names)
	if v := provider.Strs(in, "childHealthchecks"); len(v) > 0 || provider.Has(in, "childHealthchecks") {
		cfg["ChildHealthChecks"] = orEmptyStrings(v)
	}
	if v := provider.Strs(in, "regions"); len(v) > 0 {
		cfg["Regions"] = v
	}
	if name := provider.Str(in, "cloudwatchAlarmName"); name != "" {
		cfg["AlarmIdentifier"] = map[string]any{"Name": name, "Region": provider.Str(in, "cloudwatchAlarmRegion")}
	}
	return cfg
}

func healthCheckType() *provider.Type {
	return &provider.Type{
		Token: "aws:route53/healthCheck:HealthCheck",
		// healthCheckFile: type, request_interval, measure_latency,
		// reference_name, routing_control_arn ForceNew; the rest goes
		// through UpdateHealthCheck.
		ForceNew: []string{"type", "requestInterval", "measureLatency", "referenceName", "routingControlArn"},
		Validate: func(_ *provider.Ctx, in provider.Props) error {
			t := provider.Str(in, "type")
			if t == "CALCULATED" && (provider.Has(in, "requestInterval") || provider.Has(in, "failureThreshold")) {
				// Route 53 refuses them for calculated checks
				// (API_HealthCheckConfig: RequestInterval/FailureThreshold
				// "can't be changed" / not used for CALCULATED).
				return fmt.Errorf("requestInterval and failureThreshold are not valid for a CALCULATED health check")
			}
			return nil
		},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			ref := provider.Str(in, "referenceName")
			if ref == "" {
				ref = "drlab"
			}
			// healthCheckFile resourceHealthCheckCreate: CallerReference is
			// the reference name plus a unique timestamp.
			caller := fmt.Sprintf("%s-%d", ref, time.Now().UnixNano())
			var out struct{ HealthCheck struct{ Id string } }
			req := map[string]any{"CallerReference": caller, "HealthCheckConfig": healthCheckConfig(in, false)}
			if err := cloud.Call(c, route53Region, "route53", "CreateHealthCheck", req, &out); err != nil {
				return "", nil, fmt.Errorf("creating Route53 Health Check: %w", err)
			}
			id := out.HealthCheck.Id
			if err := tagHealthCheck(c, cloud, id, nil, tagMap(c, in)); err != nil {
				return "", nil, err
			}
			return id, provider.Props{
				"arn":     resource.NewProperty("arn:aws:route53:::healthcheck/" + id),
				"tagsAll": tagsAll(c, in),
			}, nil
		},
		Update: func(c *provider.Ctx, id string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			req := healthCheckConfig(news, true)
			req["HealthCheckId"] = id
			// Route 53 keeps a value that an update leaves out unless it
			// is reset (API_UpdateHealthCheck ResetElements).
			var reset []string
			for prop, elem := range map[string]string{"fqdn": "FullyQualifiedDomainName", "regions": "Regions", "resourcePath": "ResourcePath", "childHealthchecks": "ChildHealthChecks"} {
				if provider.Has(oldInputs, prop) && !provider.Has(news, prop) {
					reset = append(reset, elem)
				}
			}
			if len(reset) > 0 {
				sort.Strings(reset)
				req["ResetElements"] = reset
			}
			if err := cloud.Call(c, route53Region, "route53", "UpdateHealthCheck", req, nil); err != nil {
				return nil, fmt.Errorf("updating Route53 Health Check (%s): %w", id, err)
			}
			if err := tagHealthCheck(c, cloud, id, provider.StrMap(olds, "tagsAll"), tagMap(c, news)); err != nil {
				return nil, err
			}
			outs["tagsAll"] = tagsAll(c, news)
			return outs, nil
		},
		Read: func(c *provider.Ctx, id string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			var out struct {
				HealthCheck struct {
					Id                string
					HealthCheckConfig map[string]any
				}
			}
			err = cloud.Call(c, route53Region, "route53", "GetHealthCheck", map[string]any{"HealthCheckId": id}, &out)
			if cloudrpc.IsCode(err, "NoSuchHealthCheck") {
				return nil, nil, nil
			}
			if err != nil {
				return nil, nil, err
			}
			outs, ins := provider.Copy(olds), provider.Copy(oldInputs)
			live := out.HealthCheck.HealthCheckConfig
			for prop, elem := range map[string]string{"childHealthThreshold": "HealthThreshold", "failureThreshold": "FailureThreshold", "invertHealthcheck": "Inverted", "disabled": "Disabled"} {
				if v, ok := live[elem]; ok {
					outs[resource.PropertyKey(prop)] = resource.NewPropertyValue(v)
					if _, was := oldInputs[resource.PropertyKey(prop)]; was {
						ins[resource.PropertyKey(prop)] = resource.NewPropertyValue(v)
					}
				}
			}
			if v, ok := live["ChildHealthChecks"]; ok {
				outs["childHealthchecks"] = resource.NewPropertyValue(v)
				if _, was := oldInputs["childHealthchecks"]; was {
					ins["childHealthchecks"] = resource.NewPropertyValue(v)
				}
			}
			return outs, ins, nil
		},
		Delete: func(c *provider.Ctx, id string, _ provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			err = cloud.Call(c, route53Region, "route53", "DeleteHealthCheck", map[string]any{"HealthCheckId": id}, nil)
			if cloudrpc.IsCode(err, "NoSuchHealthCheck") {
				return nil
			}
			return err
		},
	}
}

// tagHealthCheck applies tag changes with ChangeTagsForResource.
func tagHealthCheck(c *provider.Ctx, cloud *cloudrpc.Client, id string, old, new map[string]string) error {
	var add []map[string]string
	var remove []string
	for k, v := range new {
		if ov, ok := old[k]; !ok || ov != v {
			add = append(add, map[string]string{"Key": k, "Value": v})
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			remove = append(remove, k)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	sort.Slice(add, func(i, j int) bool { return add[i]["Key"] < add[j]["Key"] })
	req := map[string]any{"ResourceType": "healthcheck", "ResourceId": id}
	if len(add) > 0 {
		req["AddTags"] = add
	}
	if len(remove) > 0 {
		sort.Strings(remove)
		req["RemoveTagKeys"] = remove
	}
	if err := cloud.Call(c, route53Region, "route53", "ChangeTagsForResource", req, nil); err != nil {
		return fmt.Errorf("tagging Route53 Health Check (%s): %w", id, err)
	}
	return nil
}

// ---- records -------------------------------------------------------------------

// recordSet builds a ResourceRecordSet from the inputs
// (recordFile: expandResourceRecordSet).
func recordSet(in provider.Props, zoneName string) map[string]any {
	rs := map[string]any{
		"Name": expandRecordName(provider.Str(in, "name"), zoneName),
		"Type": provider.Str(in, "type"),
	}
	if ttl := provider.Int(in, "ttl", -1); ttl >= 0 && provider.Has(in, "ttl") {
		rs["TTL"] = ttl
	}
	if recs := provider.Strs(in, "records"); len(recs) > 0 {
		var rr []map[string]string
		for _, r := range recs {
			rr = append(rr, map[string]string{"Value": r})
		}
		rs["ResourceRecords"] = rr
	}
	if v := provider.Str(in, "setIdentifier"); v != "" {
		rs["SetIdentifier"] = v
	}
	if v := provider.Str(in, "healthCheckId"); v != "" {
		rs["HealthCheckId"] = v
	}
	if fo := firstObj(in, "failoverRoutingPolicies"); fo != nil {
		rs["Failover"] = provider.Str(fo, "type")
	}
	if w := firstObj(in, "weightedRoutingPolicies"); w != nil {
		rs["Weight"] = provider.Int(w, "weight", 0)
	}
	if l := firstObj(in, "latencyRoutingPolicies"); l != nil {
		rs["Region"] = provider.Str(l, "region")
	}
	if provider.Bool(in, "multivalueAnswerRoutingPolicy", false) {
		rs["MultiValueAnswer"] = true
	}
	if a := firstObj(in, "aliases"); a != nil {
		rs["AliasTarget"] = map[string]any{
			"DNSName":              provider.Str(a, "name"),
			"HostedZoneId":         provider.Str(a, "zoneId"),
			"EvaluateTargetHealth": provider.Bool(a, "evaluateTargetHealth", false),
		}
	}
	return rs
}

func firstObj(p provider.Props, key string) provider.Props {
	v, ok := p[resource.PropertyKey(key)]
	if !ok || !v.IsArray() || len(v.ArrayValue()) == 0 {
		return nil
	}
	e := v.ArrayValue()[0]
	if e.IsObject() {
		return e.ObjectValue()
	}
	return nil
}

// expandRecordName appends the zone's name to a relative record name
// (recordFile: expandRecordName).
func expandRecordName(name, zone string) string {
	name = normalizeName(name)
	zone = normalizeName(zone)
	if zone != "" && name != zone && !strings.HasSuffix(name, "."+zone) {
		name = name + "." + zone
	}
	return name
}

func recordID(zoneID string, in provider.Props) string {
	parts := []string{zoneID, normalizeName(provider.Str(in, "name")), provider.Str(in, "type")}
	if s := provider.Str(in, "setIdentifier"); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, "_")
}

func zoneName(c *provider.Ctx, cloud *cloudrpc.Client, zoneID string) (string, error) {
	var out struct{ HostedZone struct{ Id, Name string } }
	if err := cloud.Call(c, route53Region, "route53", "GetHostedZone", map[string]any{"Id": zoneID}, &out); err != nil {
		return "", fmt.Errorf("reading Route 53 Hosted Zone (%s): %w", zoneID, err)
	}
	return out.HostedZone.Name, nil
}

// changeRecords submits a change batch and waits for INSYNC
// (recordFile: waitChangeInsync).
func changeRecords(c *provider.Ctx, cloud *cloudrpc.Client, zoneID string, changes []map[string]any) error {
	var out struct{ ChangeInfo struct{ Id, Status string } }
	req := map[string]any{
		"HostedZoneId": zoneID,
		"ChangeBatch":  map[string]any{"Comment": "Managed by Pulumi", "Changes": changes},
	}
	if err := cloud.Call(c, route53Region, "route53", "ChangeResourceRecordSets", req, &out); err != nil {
		return err
	}
	id := out.ChangeInfo.Id
	if id == "" || out.ChangeInfo.Status == "INSYNC" {
		return nil
	}
	return waitUntil(c, fmt.Sprintf("Route 53 change %s to be INSYNC", id), 30*time.Minute, func() (bool, error) {
		var got struct{ ChangeInfo struct{ Status string } }
		if err := cloud.Call(c, route53Region, "route53", "GetChange", map[string]any{"Id": id}, &got); err != nil {
			return false, err
		}
		return got.ChangeInfo.Status == "INSYNC", nil
	})
}

func recordType() *provider.Type {
	return &provider.Type{
		Token: "aws:route53/record:Record",
		// recordFile schema: name and zone_id ForceNew; a changed type or
		// set_identifier is a DELETE and CREATE in one batch
		// (resourceRecordUpdate), anything else an UPSERT.
		ForceNew: []string{"name", "zoneId"},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return "", nil, err
			}
			zoneID := cleanZoneID(provider.Str(in, "zoneId"))
			zone, err := zoneName(c, cloud, zoneID)
			if err != nil {
				return "", nil, err
			}
			// recordFile resourceRecordCreate: CREATE unless
			// allow_overwrite, so an existing record is never taken over
			// silently.
			action := "CREATE"
			if provider.Bool(in, "allowOverwrite", false) {
				action = "UPSERT"
			}
			rs := recordSet(in, zone)
			if err := changeRecords(c, cloud, zoneID, []map[string]any{{"Action": action, "ResourceRecordSet": rs}}); err != nil {
				return "", nil, fmt.Errorf("creating Route53 Record: %w", err)
			}
			return recordID(zoneID, in), provider.Props{
				"fqdn": resource.NewProperty(rs["Name"].(string)),
				"name": resource.NewProperty(normalizeName(provider.Str(in, "name"))),
			}, nil
		},
		Update: func(c *provider.Ctx, _ string, olds, oldInputs, news, outs provider.Props) (provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, err
			}
			zoneID := cleanZoneID(provider.Str(news, "zoneId"))
			zone, err := zoneName(c, cloud, zoneID)
			if err != nil {
				return nil, err
			}
			rs := recordSet(news, zone)
			var changes []map[string]any
			if changed(oldInputs, news, "type") || changed(oldInputs, news, "setIdentifier") {
				changes = append(changes,
					map[string]any{"Action": "DELETE", "ResourceRecordSet": recordSet(oldInputs, zone)},
					map[string]any{"Action": "CREATE", "ResourceRecordSet": rs})
			} else {
				changes = append(changes, map[string]any{"Action": "UPSERT", "ResourceRecordSet": rs})
			}
			if err := changeRecords(c, cloud, zoneID, changes); err != nil {
				return nil, fmt.Errorf("updating Route53 Record: %w", err)
			}
			outs["fqdn"] = resource.NewProperty(rs["Name"].(string))
			outs["name"] = resource.NewProperty(normalizeName(provider.Str(news, "name")))
			return outs, nil
		},
		Read: func(c *provider.Ctx, _ string, olds, oldInputs provider.Props) (provider.Props, provider.Props, error) {
			cloud, err := c.Cloud()
			if err != nil {
				return nil, nil, err
			}
			zoneID := cleanZoneID(provider.Str(olds, "zoneId"))
			name := provider.Str(olds, "fqdn")
			var out struct {
				ResourceRecordSets []struct {
					Name, Type, SetIdentifier, HealthCheckId, Failover string
					TTL                                                int
					ResourceRecords                                    []struct{ Value string }
				}
			}
			req := map[string]any{"HostedZoneId": zoneID, "StartRecordName": name, "StartRecordType": provider.Str(olds, "type")}
			if s := provider.Str(olds, "setIdentifier"); s != "" {
				req["StartRecordIdentifier"] = s
			}
			err = cloud.Call(c, route53Region, "route53", "ListResourceRecordSets", req, &out)
			if cloudrpc.IsCode(err, "NoSuchHostedZone") {
				return nil, nil, nil
			}
			if err != nil {
				return nil, nil, err
			}
			for _, rs := range out.ResourceRecordSets {
				if normalizeName(rs.Name) != name || rs.Type != provider.Str(olds, "type") || rs.SetIdentifier != provider.Str(olds, "setIdentifier") {
					continue
				}
				outs, ins := provider.Copy(olds), provider.Copy(oldInputs)
				var recs []string
				for _, r := range rs.ResourceRecords {
					recs = append(recs, r.Value)
				}
				live := provider.FromGo(map[string]any{"records": orEmpty(recs), "ttl": rs.TTL, "healthCheckId": rs.HealthCheckId})
				for k, v := range live {
					outs[k] = v
					if _, was := oldInputs[k]; was {
						ins[k] = v
					}
				}
				return outs, ins, nil
			}
			return nil, nil, nil
		},
		Delete: func(c *provider.Ctx, _ string, olds provider.Props) error {
			cloud, err := c.Cloud()
			if err != nil {
				return err
			}
			zoneID := cleanZoneID(provider.Str(olds, "zoneId"))
			zone, err := zoneName(c, cloud, zoneID)
			if cloudrpc.IsCode(err, "NoSuchHostedZone") {
				return nil
			}
			if err != nil {
				return err
			}
			err = changeRecords(c, cloud, zoneID, []map[string]any{{"Action": "DELETE", "ResourceRecordSet": recordSet(olds, zone)}})
			// recordFile resourceRecordDelete: a record already gone
			// (InvalidChangeBatch "not found") is not an error.
			if cloudrpc.IsCode(err, "InvalidChangeBatch") && strings.Contains(err.Error(), "not found") {
				return nil
			}
			return err
		},
	}
}
