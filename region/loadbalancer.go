package region

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TLSPolicy is the listener's security policy: TLS 1.3 with TLS 1.2
// fallback, forward-secret ciphers only.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

type loadBalancer struct {
	lb          *lb.LoadBalancer
	targetGroup *lb.TargetGroup
	logs        *s3.BucketV2
}

// loadBalancer builds the public entry point of the region. The path to
// TaskFlow's pods is instance targets on a fixed NodePort: the target group
// is attached to the node group's Auto Scaling group, so every node (and
// every node added by a failover scale-up) is registered without an
// in-cluster controller, and TaskFlow's Service must be
// `type: NodePort` with `nodePort: <cluster.nodePort>` (README, "From the
// ALB to the pods").
func (b *builder) loadBalancer(net *network, cl *cluster) (*loadBalancer, error) {
	nodePort := b.args.Cluster.NodePort
	anywhere := pulumi.StringArray{pulumi.String("0.0.0.0/0")}
	anywhere6 := pulumi.StringArray{pulumi.String("::/0")}
	sg, err := ec2.NewSecurityGroup(b.ctx, b.child("alb-sg"), &ec2.SecurityGroupArgs{
		VpcId:       net.vpc.ID(),
		Description: pulumi.String("TaskFlow ALB: HTTP and HTTPS from the internet"),
		Ingress: ec2.SecurityGroupIngressArray{
			ec2.SecurityGroupIngressArgs{Description: pulumi.String("HTTPS"), Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443), CidrBlocks: anywhere, Ipv6CidrBlocks: anywhere6},
			ec2.SecurityGroupIngressArgs{Description: pulumi.String("HTTP, redirected to HTTPS"), Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(80), ToPort: pulumi.Int(80), CidrBlocks: anywhere, Ipv6CidrBlocks: anywhere6},
		},
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description: pulumi.String("to TaskFlow's NodePort on the nodes"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(nodePort), ToPort: pulumi.Int(nodePort),
			SecurityGroups: pulumi.StringArray{cl.nodeSecurityGroup.ID()},
		}},
		Tags: b.nameTag("alb-sg"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: ALB security group: %w", b.name, err)
	}
	if _, err := ec2.NewSecurityGroupRule(b.ctx, b.child("nodes-from-alb"), &ec2.SecurityGroupRuleArgs{
		Type:                  pulumi.String("ingress"),
		Description:           pulumi.String("TaskFlow NodePort from the ALB"),
		SecurityGroupId:       cl.nodeSecurityGroup.ID(),
		SourceSecurityGroupId: sg.ID(),
		Protocol:              pulumi.String("tcp"),
		FromPort:              pulumi.Int(nodePort),
		ToPort:                pulumi.Int(nodePort),
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: node ingress from ALB: %w", b.name, err)
	}

	logs, err := b.accessLogBucket()
	if err != nil {
		return nil, err
	}
	alb, err := lb.NewLoadBalancer(b.ctx, b.child("alb"), &lb.LoadBalancerArgs{
		// Pinned so that the other region's dashboard can find its metrics
		// by name (dashboards.Body).
		Name:                     pulumi.String(AlbName(b.args.ClusterName)),
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  net.publicSubnetIds(),
		SecurityGroups:           pulumi.StringArray{sg.ID()},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		EnableDeletionProtection: pulumi.Bool(true),
		AccessLogs: lb.LoadBalancerAccessLogsArgs{
			Bucket:  logs.bucket.Bucket,
			Prefix:  pulumi.String(AccessLogPrefix),
			Enabled: pulumi.Bool(true),
		},
		Tags: b.nameTag("alb"),
	}, b.opts(pulumi.DependsOn([]pulumi.Resource{logs.policy}))...)
	if err != nil {
		return nil, fmt.Errorf("region %s: ALB: %w", b.name, err)
	}
	tg, err := lb.NewTargetGroup(b.ctx, b.child("tg"), &lb.TargetGroupArgs{
		VpcId:               net.vpc.ID(),
		TargetType:          pulumi.String("instance"),
		Protocol:            pulumi.String("HTTP"),
		Port:                pulumi.Int(nodePort),
		DeregistrationDelay: pulumi.Int(30),
		HealthCheck: lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Path:               pulumi.String(b.args.HealthCheckPath),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(10),
			Timeout:            pulumi.Int(5),
			HealthyThreshold:   pulumi.Int(2),
			UnhealthyThreshold: pulumi.Int(2),
		},
		Tags: b.nameTag("tg"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: target group: %w", b.name, err)
	}
	// Attached to the managed node group's Auto Scaling group, every node,
	// including those a failover scale-up adds, is registered as it
	// launches (https://docs.aws.amazon.com/autoscaling/ec2/userguide/attach-load-balancer-asg.html).
	if _, err := autoscaling.NewAttachment(b.ctx, b.child("tg-nodes"), &autoscaling.AttachmentArgs{
		AutoscalingGroupName: cl.asgName,
		LbTargetGroupArn:     tg.Arn,
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: attach nodes to target group: %w", b.name, err)
	}
	if _, err := lb.NewListener(b.ctx, b.child("https"), &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(443),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(TLSPolicy),
		CertificateArn:  b.args.CertificateArn,
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("forward"), TargetGroupArn: tg.Arn,
		}},
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: HTTPS listener: %w", b.name, err)
	}
	if _, err := lb.NewListener(b.ctx, b.child("http"), &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: lb.ListenerDefaultActionRedirectArgs{
				Protocol: pulumi.String("HTTPS"), Port: pulumi.String("443"), StatusCode: pulumi.String("HTTP_301"),
			},
		}},
	}, b.opts()...); err != nil {
		return nil, fmt.Errorf("region %s: HTTP redirect listener: %w", b.name, err)
	}
	return &loadBalancer{lb: alb, targetGroup: tg, logs: logs.bucket}, nil
}

// AlbName is the region's ALB name (at most 32 characters).
func AlbName(clusterName string) string { return clusterName + "-alb" }
