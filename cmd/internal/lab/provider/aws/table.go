package aws

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// tfaws is where the ForceNew flags below come from: the resource's schema
// in terraform-provider-aws v5.100.0 (the upstream of pulumi-aws v6.83.x),
// by file; each list names the schema attributes in Pulumi's camelCase.
// They were read from v5.x copies of these files (the v5.100.0 tag itself
// could not be fetched offline); attributes whose flag changed within v5
// are noted where they are listed.
const tfaws = "hashicorp/terraform-provider-aws@v5.100.0"

// types lists every aws resource type the lab serves.
func types() []*provider.Type {
	var out []*provider.Type
	for _, g := range genericTypes() {
		out = append(out, g.typ())
	}
	out = append(out,
		rdsInstanceType(),
		eksClusterType(),
		eksNodeGroupType(),
		healthCheckType(),
		recordType(),
		metricAlarmType(),
		dashboardType(),
		secretType(),
		secretVersionType(),
		ecrRepositoryType(),
		ecrReplicationType(),
		ecrCreationTemplateType(),
		launchConfigurationType(),
	)
	return out
}

// genericTypes are kept in the provider's state only: nothing in the DR
// lifecycle reads them back from AWS, so the lab cloud does not hold them.
func genericTypes() []gen {
	return []gen{
		// ---- EC2 / VPC ------------------------------------------------
		{
			// internal/service/ec2/vpc_.go: cidr_block, ipv4_ipam_pool_id,
			// ipv4_netmask_length ForceNew.
			token: "aws:ec2/vpc:Vpc", tags: true,
			forceNew: []string{"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
			defaults: map[string]any{"enableDnsSupport": true, "instanceTenancy": "default"},
			id:       idPrefixed("vpc"),
			outs: func(c *provider.Ctx, id string, in provider.Props) map[string]any {
				return map[string]any{
					"arn":                    arn("ec2", region(c), "vpc/"+id),
					"defaultNetworkAclId":    ec2ID("acl"),
					"defaultRouteTableId":    ec2ID("rtb"),
					"mainRouteTableId":       ec2ID("rtb"),
					"defaultSecurityGroupId": ec2ID("sg"),
					"dhcpOptionsId":          ec2ID("dopt"),
					"ownerId":                Account(),
					"enableDnsHostnames":     provider.Bool(in, "enableDnsHostnames", false),
				}
			},
		},
		{
			// internal/service/ec2/vpc_internet_gateway.go: vpc_id is
			// attached/detached in place; nothing ForceNew.
			token: "aws:ec2/internetGateway:InternetGateway", tags: true,
			id: idPrefixed("igw"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("ec2", region(c), "internet-gateway/"+id), "ownerId": Account()}
			},
		},
		{
			// internal/service/ec2/vpc_route_table.go: vpc_id ForceNew.
			token: "aws:ec2/routeTable:RouteTable", tags: true,
			forceNew: []string{"vpcId"},
			id:       idPrefixed("rtb"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("ec2", region(c), "route-table/"+id), "ownerId": Account(), "propagatingVgws": []any{}}
			},
		},
		{
			// internal/service/ec2/vpc_subnet.go: vpc_id, cidr_block,
			// availability_zone, availability_zone_id, outpost_arn ForceNew.
			token: "aws:ec2/subnet:Subnet", tags: true,
			forceNew: []string{"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"},
			defaults: map[string]any{"mapPublicIpOnLaunch": false},
			id:       idPrefixed("subnet"),
			outs: func(c *provider.Ctx, id string, in provider.Props) map[string]any {
				return map[string]any{
					"arn": arn("ec2", region(c), "subnet/"+id), "ownerId": Account(),
					"availabilityZoneId":             azID(provider.Str(in, "availabilityZone")),
					"privateDnsHostnameTypeOnLaunch": "ip-name",
				}
			},
		},
		{
			// internal/service/ec2/vpc_route_table_association.go:
			// subnet_id, gateway_id ForceNew (route_table_id is replaced
			// in place with ReplaceRouteTableAssociation).
			token:    "aws:ec2/routeTableAssociation:RouteTableAssociation",
			forceNew: []string{"subnetId", "gatewayId"},
			id:       idPrefixed("rtbassoc"),
		},
		{
			// internal/service/ec2/ec2_eip.go: address, customer_owned_ipv4_pool,
			// domain, network_border_group, public_ipv4_pool ForceNew.
			token: "aws:ec2/eip:Eip", tags: true,
			forceNew: []string{"address", "customerOwnedIpv4Pool", "domain", "networkBorderGroup", "publicIpv4Pool"},
			id:       idPrefixed("eipalloc"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				ip := labPublicIP()
				return map[string]any{
					"allocationId": id, "arn": arn("ec2", region(c), "elastic-ip/"+id),
					"publicIp": ip, "publicIpv4Pool": "amazon", "networkBorderGroup": region(c),
					// https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html
					"publicDns": fmt.Sprintf("ec2-%s.%s.compute.amazonaws.com", strings.ReplaceAll(ip, ".", "-"), region(c)),
				}
			},
		},
		{
			// internal/service/ec2/vpc_nat_gateway.go: allocation_id,
			// connectivity_type, private_ip, subnet_id ForceNew.
			token: "aws:ec2/natGateway:NatGateway", tags: true,
			forceNew: []string{"allocationId", "connectivityType", "privateIp", "subnetId"},
			defaults: map[string]any{"connectivityType": "public"},
			id:       idPrefixed("nat"),
			outs: func(*provider.Ctx, string, provider.Props) map[string]any {
				return map[string]any{
					"associationId": ec2ID("eipassoc"), "networkInterfaceId": ec2ID("eni"),
					"privateIp": "10.0.0.10", "publicIp": labPublicIP(),
				}
			},
		},
		{
			// internal/service/ec2/vpc_security_group.go: name, name_prefix,
			// description, vpc_id ForceNew; description defaults to
			// "Managed by Pulumi" (pulumi-aws overrides Terraform's).
			token: "aws:ec2/securityGroup:SecurityGroup", tags: true,
			forceNew: []string{"name", "namePrefix", "description", "vpcId"},
			autoName: autoName(),
			defaults: map[string]any{"description": "Managed by Pulumi", "revokeRulesOnDelete": false},
			id:       idPrefixed("sg"),
			outs: func(c *provider.Ctx, id string, in provider.Props) map[string]any {
				out := map[string]any{"arn": arn("ec2", region(c), "security-group/"+id), "ownerId": Account()}
				if !provider.Has(in, "ingress") {
					out["ingress"] = []any{}
				}
				if !provider.Has(in, "egress") {
					out["egress"] = []any{}
				}
				return out
			},
		},
		{
			// internal/service/ec2/vpc_security_group_rule.go: every
			// argument but description is ForceNew.
			token: "aws:ec2/securityGroupRule:SecurityGroupRule",
			forceNew: []string{"type", "fromPort", "toPort", "protocol", "cidrBlocks", "ipv6CidrBlocks",
				"prefixListIds", "securityGroupId", "sourceSecurityGroupId", "self"},
			id: func(*provider.Ctx, provider.Props) string { return "sgrule-" + provider.RandomString(10, "0123456789") },
			outs: func(*provider.Ctx, string, provider.Props) map[string]any {
				return map[string]any{"securityGroupRuleId": ec2ID("sgr")}
			},
		},
		{
			// internal/service/ec2/ec2_launch_template.go: name, name_prefix
			// ForceNew; everything else makes a new version in place.
			token: "aws:ec2/launchTemplate:LaunchTemplate", tags: true,
			forceNew: []string{"name", "namePrefix"},
			autoName: autoName(),
			id:       idPrefixed("lt"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("ec2", region(c), "launch-template/"+id), "latestVersion": 1, "defaultVersion": 1}
			},
		},
		// ---- S3 (the ALB access-log bucket) -----------------------------
		{
			// internal/service/s3/bucket.go: bucket, bucket_prefix,
			// object_lock_enabled ForceNew; with bucket_prefix the name is
			// the prefix and a 26-character unique suffix
			// (id.PrefixedUniqueId, terraform-plugin-sdk helper/id).
			token: "aws:s3/bucketV2:BucketV2", tags: true,
			forceNew: []string{"bucket", "bucketPrefix", "objectLockEnabled"},
			defaults: map[string]any{"forceDestroy": false},
			id: func(_ *provider.Ctx, in provider.Props) string {
				if b := provider.Str(in, "bucket"); b != "" {
					return b
				}
				return provider.Str(in, "bucketPrefix") + provider.RandomHex(26)
			},
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				// https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
				return map[string]any{
					"bucket": id, "arn": "arn:aws:s3:::" + id, "region": region(c),
					"bucketDomainName":         id + ".s3.amazonaws.com",
					"bucketRegionalDomainName": id + ".s3." + region(c) + ".amazonaws.com",
				}
			},
		},
		// internal/service/s3/bucket_public_access_block.go,
		// bucket_ownership_controls.go, bucket_policy.go: bucket ForceNew;
		// bucket_server_side_encryption_configuration.go and
		// bucket_lifecycle_configuration.go: bucket, expected_bucket_owner
		// ForceNew. Each is identified by its bucket.
		{token: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", forceNew: []string{"bucket"}, id: idName("bucket")},
		{token: "aws:s3/bucketOwnershipControls:BucketOwnershipControls", forceNew: []string{"bucket"}, id: idName("bucket")},
		{token: "aws:s3/bucketPolicy:BucketPolicy", forceNew: []string{"bucket"}, id: idName("bucket")},
		{token: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", forceNew: []string{"bucket", "expectedBucketOwner"}, id: idName("bucket")},
		{token: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", forceNew: []string{"bucket", "expectedBucketOwner"}, id: idName("bucket")},
		// ---- KMS ---------------------------------------------------------
		{
			// internal/service/kms/key.go: custom_key_store_id,
			// customer_master_key_spec, key_usage, multi_region, xks_key_id
			// ForceNew.
			token: "aws:kms/key:Key", tags: true,
			forceNew: []string{"customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"},
			defaults: map[string]any{"isEnabled": true, "keyUsage": "ENCRYPT_DECRYPT", "customerMasterKeySpec": "SYMMETRIC_DEFAULT"},
			id:       func(*provider.Ctx, provider.Props) string { return provider.UUID() },
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("kms", region(c), "key/"+id), "keyId": id, "multiRegion": false, "rotationPeriodInDays": 365}
			},
		},
		{
			// internal/service/kms/alias.go: name, name_prefix ForceNew;
			// target_key_id is updated in place. Not autonamed: an alias
			// must start with "alias/".
			token:    "aws:kms/alias:Alias",
			forceNew: []string{"name", "namePrefix"},
			id:       idName("name"),
			validate: func(_ *provider.Ctx, in provider.Props) error {
				if n := provider.Str(in, "name"); n != "" && !strings.HasPrefix(n, "alias/") {
					return fmt.Errorf("name %q: must begin with \"alias/\" (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html)", n)
				}
				return nil
			},
			outs: func(c *provider.Ctx, id string, in provider.Props) map[string]any {
				key := provider.Str(in, "targetKeyId")
				if !strings.HasPrefix(key, "arn:") {
					key = arn("kms", region(c), "key/"+key)
				}
				return map[string]any{"arn": arn("kms", region(c), id), "targetKeyArn": key}
			},
		},
		// ---- EKS (state-only parts) ------------------------------------
		{
			// internal/service/eks/addon.go: addon_name, cluster_name ForceNew.
			token: "aws:eks/addon:Addon", tags: true,
			forceNew: []string{"addonName", "clusterName"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "clusterName") + ":" + provider.Str(in, "addonName")
			},
			outs: func(c *provider.Ctx, _ string, in provider.Props) map[string]any {
				now := time.Now().UTC().Format(time.RFC3339)
				out := map[string]any{
					"arn":       arn("eks", region(c), fmt.Sprintf("addon/%s/%s/%s", provider.Str(in, "clusterName"), provider.Str(in, "addonName"), provider.UUID())),
					"createdAt": now, "modifiedAt": now,
				}
				if !provider.Has(in, "addonVersion") {
					// The version EKS picks when none is asked for (the
					// default for the cluster's Kubernetes version).
					out["addonVersion"] = "v1.19.2-eksbuild.1"
				}
				return out
			},
		},
		{
			// internal/service/eks/access_entry.go: cluster_name,
			// principal_arn, type ForceNew.
			token: "aws:eks/accessEntry:AccessEntry", tags: true,
			forceNew: []string{"clusterName", "principalArn", "type"},
			defaults: map[string]any{"type": "STANDARD"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "clusterName") + ":" + provider.Str(in, "principalArn")
			},
			outs: func(c *provider.Ctx, _ string, in provider.Props) map[string]any {
				now := time.Now().UTC().Format(time.RFC3339)
				user := provider.Str(in, "userName")
				if user == "" {
					user = provider.Str(in, "principalArn")
				}
				return map[string]any{
					"accessEntryArn": arn("eks", region(c), fmt.Sprintf("access-entry/%s/role/%s/%s", provider.Str(in, "clusterName"), Account(), provider.UUID())),
					"createdAt":      now, "modifiedAt": now, "userName": user,
					"kubernetesGroups": orEmpty(provider.Strs(in, "kubernetesGroups")),
				}
			},
		},
		{
			// internal/service/eks/access_policy_association.go: every
			// argument ForceNew.
			token:    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
			forceNew: []string{"accessScope", "clusterName", "policyArn", "principalArn"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return strings.Join([]string{provider.Str(in, "clusterName"), provider.Str(in, "principalArn"), provider.Str(in, "policyArn")}, "#")
			},
			outs: func(*provider.Ctx, string, provider.Props) map[string]any {
				now := time.Now().UTC().Format(time.RFC3339)
				return map[string]any{"associatedAt": now, "modifiedAt": now}
			},
		},
		// ---- RDS (state-only parts) ------------------------------------
		{
			// internal/service/rds/subnet_group.go: name, name_prefix
			// ForceNew. pulumi-aws lowercases the autoname (RDS names
			// are lowercase).
			token: "aws:rds/subnetGroup:SubnetGroup", tags: true,
			forceNew: []string{"name", "namePrefix"},
			autoName: lowerAutoName(),
			defaults: map[string]any{"description": "Managed by Pulumi"},
			id:       idName("name"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("rds", region(c), "subgrp:"+id), "supportedNetworkTypes": []any{"IPV4"}, "vpcId": ""}
			},
		},
		{
			// internal/service/rds/parameter_group.go: name, name_prefix,
			// family, description ForceNew.
			token: "aws:rds/parameterGroup:ParameterGroup", tags: true,
			forceNew: []string{"name", "namePrefix", "family", "description"},
			autoName: lowerAutoName(),
			defaults: map[string]any{"description": "Managed by Pulumi"},
			id:       idName("name"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("rds", region(c), "pg:"+id)}
			},
		},
		// ---- ELBv2 ---------------------------------------------------------
		{
			// internal/service/elbv2/load_balancer.go: name, name_prefix,
			// internal, load_balancer_type, customer_owned_ipv4_pool
			// ForceNew (subnets only for network LBs, by CustomizeDiff).
			// pulumi-aws caps the autoname at 32 characters (the ELB limit).
			token: "aws:lb/loadBalancer:LoadBalancer", tags: true,
			forceNew: []string{"name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"},
			autoName: &provider.AutoName{Property: "name", Separator: "-", Random: 7, MaxLen: 32},
			defaults: map[string]any{"loadBalancerType": "application", "internal": false, "ipAddressType": "ipv4", "idleTimeout": 60},
			id: func(c *provider.Ctx, in provider.Props) string {
				return arn("elasticloadbalancing", region(c), fmt.Sprintf("loadbalancer/app/%s/%s", provider.Str(in, "name"), provider.RandomHex(16)))
			},
			outs: func(c *provider.Ctx, id string, in provider.Props) map[string]any {
				suffix := id[strings.Index(id, "loadbalancer/")+len("loadbalancer/"):]
				_, last, _ := strings.Cut(suffix, provider.Str(in, "name")+"/")
				scheme := ""
				if provider.Bool(in, "internal", false) {
					scheme = "internal-"
				}
				return map[string]any{
					"arn": id, "arnSuffix": suffix,
					// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#dns-name
					"dnsName": fmt.Sprintf("%s%s-%s.%s.elb.amazonaws.com", scheme, provider.Str(in, "name"), decimalOf(last), region(c)),
					"zoneId":  albZoneID(region(c)),
					"vpcId":   "",
				}
			},
		},
		{
			// internal/service/elbv2/target_group.go: name, name_prefix,
			// port, protocol, protocol_version, target_type, vpc_id,
			// ip_address_type ForceNew.
			token: "aws:lb/targetGroup:TargetGroup", tags: true,
			forceNew: []string{"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"},
			autoName: &provider.AutoName{Property: "name", Separator: "-", Random: 7, MaxLen: 32},
			defaults: map[string]any{"targetType": "instance", "deregistrationDelay": 300},
			id: func(c *provider.Ctx, in provider.Props) string {
				return arn("elasticloadbalancing", region(c), fmt.Sprintf("targetgroup/%s/%s", provider.Str(in, "name"), provider.RandomHex(16)))
			},
			outs: func(_ *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": id, "arnSuffix": id[strings.Index(id, "targetgroup/"):], "loadBalancerArns": []any{}}
			},
		},
		{
			// internal/service/elbv2/listener.go: load_balancer_arn ForceNew.
			token: "aws:lb/listener:Listener", tags: true,
			forceNew: []string{"loadBalancerArn"},
			id: func(c *provider.Ctx, in provider.Props) string {
				lb := provider.Str(in, "loadBalancerArn")
				tail := lb[strings.Index(lb, "loadbalancer/")+len("loadbalancer/"):]
				return arn("elasticloadbalancing", region(c), fmt.Sprintf("listener/%s/%s", tail, provider.RandomHex(16)))
			},
			outs: func(_ *provider.Ctx, id string, _ provider.Props) map[string]any { return map[string]any{"arn": id} },
		},
		// ---- Auto Scaling ----------------------------------------------
		{
			// internal/service/autoscaling/attachment.go: every argument
			// ForceNew.
			token:    "aws:autoscaling/attachment:Attachment",
			forceNew: []string{"autoscalingGroupName", "elb", "lbTargetGroupArn"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "autoscalingGroupName") + "-" + provider.RandomString(20, "0123456789")
			},
		},
		// ---- ACM -------------------------------------------------------------
		{
			// internal/service/acm/certificate.go: domain_name,
			// subject_alternative_names, validation_method, key_algorithm,
			// certificate_authority_arn ForceNew.
			token: "aws:acm/certificate:Certificate", tags: true,
			forceNew: []string{"domainName", "subjectAlternativeNames", "validationMethod", "keyAlgorithm", "certificateAuthorityArn"},
			defaults: map[string]any{"keyAlgorithm": "RSA_2048"},
			id: func(c *provider.Ctx, _ provider.Props) string {
				return arn("acm", region(c), "certificate/"+provider.UUID())
			},
			outs: func(_ *provider.Ctx, id string, in provider.Props) map[string]any {
				domain := provider.Str(in, "domainName")
				return map[string]any{
					"arn": id, "status": "PENDING_VALIDATION", "type": "AMAZON_ISSUED",
					"subjectAlternativeNames": []any{domain},
					"domainValidationOptions": []any{validationOption(domain)},
					"validationEmails":        []any{},
					"renewalEligibility":      "INELIGIBLE",
				}
			},
		},
		{
			// internal/service/acm/certificate_validation.go:
			// certificate_arn, validation_record_fqdns ForceNew.
			token:    "aws:acm/certificateValidation:CertificateValidation",
			forceNew: []string{"certificateArn", "validationRecordFqdns"},
			id: func(*provider.Ctx, provider.Props) string {
				return time.Now().UTC().Format("2006-01-02 15:04:05.999999999 -0700 MST")
			},
		},
		// ---- SNS --------------------------------------------------------------
		{
			// internal/service/sns/topic.go: name, name_prefix, fifo_topic
			// ForceNew.
			token: "aws:sns/topic:Topic", tags: true,
			forceNew: []string{"name", "namePrefix", "fifoTopic"},
			autoName: autoName(),
			id: func(c *provider.Ctx, in provider.Props) string {
				return arn("sns", region(c), provider.Str(in, "name"))
			},
			outs: func(_ *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": id, "owner": Account(), "signatureVersion": 1}
			},
		},
		{
			// internal/service/sns/topic_subscription.go: endpoint,
			// protocol, topic_arn ForceNew (pulumi-aws names topic_arn
			// `topic`).
			token:    "aws:sns/topicSubscription:TopicSubscription",
			forceNew: []string{"endpoint", "protocol", "topic"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "topic") + ":" + provider.UUID()
			},
			outs: func(_ *provider.Ctx, id string, in provider.Props) map[string]any {
				// An e-mail subscription stays pending until confirmed.
				return map[string]any{"arn": id, "ownerId": Account(), "pendingConfirmation": provider.Str(in, "protocol") == "email"}
			},
		},
		{
			// internal/service/sns/topic_policy.go: arn ForceNew.
			token:    "aws:sns/topicPolicy:TopicPolicy",
			forceNew: []string{"arn"},
			id:       idName("arn"),
			outs: func(*provider.Ctx, string, provider.Props) map[string]any {
				return map[string]any{"owner": Account()}
			},
		},
		// ---- CloudWatch Logs ---------------------------------------------
		{
			// internal/service/logs/group.go: name, name_prefix,
			// log_group_class ForceNew.
			token: "aws:cloudwatch/logGroup:LogGroup", tags: true,
			forceNew: []string{"name", "namePrefix", "logGroupClass"},
			autoName: autoName(),
			defaults: map[string]any{"retentionInDays": 0, "logGroupClass": "STANDARD"},
			id:       idName("name"),
			outs: func(c *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": arn("logs", region(c), "log-group:"+id)}
			},
		},
		// ---- IAM --------------------------------------------------------------
		{
			// internal/service/iam/role.go: name, name_prefix, path ForceNew.
			// pulumi-aws caps the autoname at 64 characters (IAM's limit).
			token: "aws:iam/role:Role", tags: true,
			forceNew: []string{"name", "namePrefix", "path"},
			autoName: &provider.AutoName{Property: "name", Separator: "-", Random: 7, MaxLen: 64},
			defaults: map[string]any{"path": "/", "maxSessionDuration": 3600, "forceDetachPolicies": false},
			id:       idName("name"),
			outs: func(_ *provider.Ctx, id string, in provider.Props) map[string]any {
				return map[string]any{
					"arn":        fmt.Sprintf("arn:aws:iam::%s:role%s%s", Account(), provider.Str(in, "path"), id),
					"createDate": time.Now().UTC().Format(time.RFC3339), "uniqueId": "AROA" + provider.RandomString(17, provider.UpperAlnum),
				}
			},
		},
		{
			// internal/service/iam/role_policy.go: name, name_prefix, role
			// ForceNew.
			token:    "aws:iam/rolePolicy:RolePolicy",
			forceNew: []string{"name", "namePrefix", "role"},
			autoName: autoName(),
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "role") + ":" + provider.Str(in, "name")
			},
		},
		{
			// internal/service/iam/role_policy_attachment.go: role,
			// policy_arn ForceNew.
			token:    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
			forceNew: []string{"role", "policyArn"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return provider.Str(in, "role") + "-" + provider.RandomString(26, "0123456789")
			},
		},
		{
			// internal/service/iam/policy.go: name, name_prefix, path,
			// description ForceNew.
			token: "aws:iam/policy:Policy", tags: true,
			forceNew: []string{"name", "namePrefix", "path", "description"},
			autoName: autoName(),
			defaults: map[string]any{"path": "/"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				return fmt.Sprintf("arn:aws:iam::%s:policy%s%s", Account(), provider.Str(in, "path"), provider.Str(in, "name"))
			},
			outs: func(_ *provider.Ctx, id string, _ provider.Props) map[string]any {
				return map[string]any{"arn": id, "policyId": "ANPA" + provider.RandomString(17, provider.UpperAlnum), "attachmentCount": 0}
			},
		},
		{
			// internal/service/iam/openid_connect_provider.go: url ForceNew
			// (client_id_list and thumbprint_list are updated in place).
			token: "aws:iam/openIdConnectProvider:OpenIdConnectProvider", tags: true,
			forceNew: []string{"url"},
			id: func(_ *provider.Ctx, in provider.Props) string {
				host := strings.TrimPrefix(provider.Str(in, "url"), "https://")
				return fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", Account(), host)
			},
			outs: func(_ *provider.Ctx, id string, _ provider.Props) map[string]any { return map[string]any{"arn": id} },
		},
		{
			// internal/service/iam/instance_profile.go: name, name_prefix,
			// path ForceNew.
			token: "aws:iam/instanceProfile:InstanceProfile", tags: true,
			forceNew: []string{"name", "namePrefix", "path"},
			autoName: autoName(),
			defaults: map[string]any{"path": "/"},
			id:       idName("name"),
			outs: func(_ *provider.Ctx, id string, in provider.Props) map[string]any {
				return map[string]any{
					"arn":        fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", Account(), provider.Str(in, "path"), id),
					"createDate": time.Now().UTC().Format(time.RFC3339), "uniqueId": "AIPA" + provider.RandomString(17, provider.UpperAlnum),
				}
			},
		},
		// ---- CloudFormation -------------------------------------------
		{
			// internal/service/cloudformation/stack.go: name ForceNew.
			token: "aws:cloudformation/stack:Stack", tags: true,
			forceNew: []string{"name"},
			id: func(c *provider.Ctx, in provider.Props) string {
				return arn("cloudformation", region(c), fmt.Sprintf("stack/%s/%s", provider.Str(in, "name"), provider.UUID()))
			},
			outs: func(_ *provider.Ctx, _ string, in provider.Props) map[string]any {
				return map[string]any{"outputs": stackOutputs(provider.Str(in, "name"), provider.Str(in, "templateBody"))}
			},
		},
		// ---- ECR (state-only parts) ------------------------------------
		{
			// internal/service/ecr/lifecycle_policy.go: repository, policy
			// ForceNew.
			token:    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
			forceNew: []string{"repository", "policy"},
			id:       idName("repository"),
			outs: func(*provider.Ctx, string, provider.Props) map[string]any {
				return map[string]any{"registryId": Account()}
			},
		},
	}
}

func lowerAutoName() *provider.AutoName {
	return &provider.AutoName{Property: "name", Separator: "-", Random: 7, MaxLen: 255, Lower: true}
}

func orEmpty(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// labPublicIP is an address from 203.0.113.0/24 (TEST-NET-3, RFC 5737):
// shaped like an EIP, routable nowhere.
func labPublicIP() string {
	return fmt.Sprintf("203.0.113.%d", 1+int(provider.RandomString(1, "0123456789")[0]-'0')*25)
}

// decimalOf turns the hex suffix of an ALB ARN into the decimal part of its
// DNS name, as ELB does (name-1234567890.region.elb.amazonaws.com).
func decimalOf(hexSuffix string) string {
	var n uint64
	for _, r := range hexSuffix {
		n = n*16 + uint64(strings.IndexRune("0123456789abcdef", r))
		if n > 1<<40 {
			break
		}
	}
	return fmt.Sprintf("%d", n%10000000000)
}

// albZoneID is the canonical hosted zone of ALBs in a region
// (https://docs.aws.amazon.com/general/latest/gr/elb.html).
func albZoneID(region string) string {
	zones := map[string]string{
		"us-east-1":    "Z35SXDOTRQ7X7K",
		"eu-west-1":    "Z32O12XQLNTSW2",
		"eu-central-1": "Z215JYRZR1TBD5",
	}
	if z, ok := zones[region]; ok {
		return z
	}
	return "Z" + strings.ToUpper(provider.StableHex(13, "alb-zone", region))
}

// validationOption is ACM's DNS validation record for a name. ACM derives
// it from the domain and the account, so the certificates of both regions
// ask for the same record (which is why exactly one stack owns it,
// dns/certificate.go; https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html).
func validationOption(domain string) map[string]any {
	h := provider.StableHex(32, "acm-name", Account(), domain)
	v := provider.StableHex(32, "acm-value", Account(), domain)
	return map[string]any{
		"domainName":          domain,
		"resourceRecordName":  "_" + h + "." + domain + ".",
		"resourceRecordType":  "CNAME",
		"resourceRecordValue": "_" + v + "." + provider.StableHex(10, "acm-zone", domain) + ".acm-validations.aws.",
	}
}

// stackOutputs resolves the Outputs of a CloudFormation template whose
// values are `!Ref <LogicalId>`: the physical ID CloudFormation gives a
// resource it names, <stack>-<LogicalId>-<13 uppercase alphanumerics>
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html).
func stackOutputs(stack, template string) map[string]any {
	out := map[string]any{}
	lines := strings.Split(template, "\n")
	inOutputs := false
	var key string
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "Outputs:":
			inOutputs = true
		case line == "Resources:":
			inOutputs = false
		case inOutputs && strings.HasSuffix(line, ":") && !strings.Contains(line, " "):
			key = strings.TrimSuffix(line, ":")
		case inOutputs && key != "" && strings.HasPrefix(line, "Value: !Ref "):
			ref := strings.TrimPrefix(line, "Value: !Ref ")
			out[key] = fmt.Sprintf("%s-%s-%s", stack, ref, provider.RandomString(13, provider.UpperAlnum))
			key = ""
		}
	}
	return out
}

// fakeCertificate is a base64 PEM-shaped certificate authority blob, as
// EKS returns in certificateAuthority.data.
func fakeCertificate(seed string) string {
	body := base64.StdEncoding.EncodeToString([]byte("drlab certificate authority " + seed + " " + provider.StableHex(64, seed)))
	pem := "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
	return base64.StdEncoding.EncodeToString([]byte(pem))
}
