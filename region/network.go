package region

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/config"
)

type network struct {
	vpc     *ec2.Vpc
	public  []*ec2.Subnet
	private []*ec2.Subnet
}

func (n *network) publicSubnetIds() pulumi.StringArrayOutput  { return subnetIds(n.public) }
func (n *network) privateSubnetIds() pulumi.StringArrayOutput { return subnetIds(n.private) }

func subnetIds(subnets []*ec2.Subnet) pulumi.StringArrayOutput {
	ids := make(pulumi.StringArray, len(subnets))
	for i, s := range subnets {
		ids[i] = s.ID().ToStringOutput()
	}
	return ids.ToStringArrayOutput()
}

// SubnetLayout splits a VPC range into three private subnets (a quarter of
// the range each: EKS pods take their addresses from them) and three public
// subnets (a sixteenth each, in the last quarter: they hold only the ALB and
// the NAT gateways). A /16 gives private /18s and public /20s; a /20, the
// narrowest allowed, private /22s and public /24s.
func SubnetLayout(vpc netip.Prefix) (public, private [3]netip.Prefix, err error) {
	quarters, err := split(vpc, 2)
	if err != nil {
		return public, private, err
	}
	copy(private[:], quarters[:3])
	publics, err := split(quarters[3], 2)
	if err != nil {
		return public, private, err
	}
	copy(public[:], publics[:3])
	return public, private, nil
}

// split divides p into 2^extraBits equal consecutive prefixes.
func split(p netip.Prefix, extraBits int) ([]netip.Prefix, error) {
	bits := p.Bits() + extraBits
	if bits > 28 {
		return nil, fmt.Errorf("%s is too small to split into /%d subnets", p, bits)
	}
	n := 1 << extraBits
	size := uint32(1) << (32 - bits)
	base := p.Masked().Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	out := make([]netip.Prefix, n)
	for i := range n {
		a := start + uint32(i)*size
		out[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits)
	}
	return out, nil
}

// network builds the VPC over three AZs: public subnets behind an internet
// gateway, private subnets behind NAT (one gateway per AZ so that losing an
// AZ does not cut the others off, or one shared when configured).
func (b *builder) network() (*network, error) {
	cfg := b.args.Network
	vpcRange, err := netip.ParsePrefix(cfg.CIDR)
	if err != nil {
		return nil, fmt.Errorf("region %s: network cidr: %w", b.name, err)
	}
	publicRanges, privateRanges, err := SubnetLayout(vpcRange)
	if err != nil {
		return nil, fmt.Errorf("region %s: subnet layout: %w", b.name, err)
	}

	vpc, err := ec2.NewVpc(b.ctx, b.child("vpc"), &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cfg.CIDR),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               b.nameTag("vpc"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: vpc: %w", b.name, err)
	}
	igw, err := ec2.NewInternetGateway(b.ctx, b.child("igw"), &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  b.nameTag("igw"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: internet gateway: %w", b.name, err)
	}
	publicRoutes, err := ec2.NewRouteTable(b.ctx, b.child("public-rt"), &ec2.RouteTableArgs{
		VpcId:  vpc.ID(),
		Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID()}},
		Tags:   b.nameTag("public-rt"),
	}, b.opts()...)
	if err != nil {
		return nil, fmt.Errorf("region %s: public route table: %w", b.name, err)
	}

	n := &network{vpc: vpc}
	var nats []*ec2.NatGateway
	for i, az := range cfg.AZs {
		suffix := az[len(az)-1:]
		pub, err := ec2.NewSubnet(b.ctx, b.child("public-"+suffix), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(publicRanges[i].String()),
			AvailabilityZone: pulumi.String(az),
			Tags: pulumi.StringMap{
				"Name":                   pulumi.String(b.child("public-" + suffix)),
				"kubernetes.io/role/elb": pulumi.String("1"),
			},
		}, b.opts()...)
		if err != nil {
			return nil, fmt.Errorf("region %s: public subnet %s: %w", b.name, az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(b.ctx, b.child("public-rta-"+suffix), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRoutes.ID(),
		}, b.opts()...); err != nil {
			return nil, fmt.Errorf("region %s: public route association %s: %w", b.name, az, err)
		}
		n.public = append(n.public, pub)

		if i == 0 || cfg.NATGateways == config.NATPerAZ {
			eip, err := ec2.NewEip(b.ctx, b.child("nat-eip-"+suffix), &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   b.nameTag("nat-eip-" + suffix),
			}, b.opts()...)
			if err != nil {
				return nil, fmt.Errorf("region %s: NAT address %s: %w", b.name, az, err)
			}
			nat, err := ec2.NewNatGateway(b.ctx, b.child("nat-"+suffix), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         b.nameTag("nat-" + suffix),
			}, b.opts(pulumi.DependsOn([]pulumi.Resource{igw}))...)
			if err != nil {
				return nil, fmt.Errorf("region %s: NAT gateway %s: %w", b.name, az, err)
			}
			nats = append(nats, nat)
		}
		nat := nats[len(nats)-1]

		priv, err := ec2.NewSubnet(b.ctx, b.child("private-"+suffix), &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(privateRanges[i].String()),
			AvailabilityZone: pulumi.String(az),
			Tags: pulumi.StringMap{
				"Name":                            pulumi.String(b.child("private-" + suffix)),
				"kubernetes.io/role/internal-elb": pulumi.String("1"),
			},
		}, b.opts()...)
		if err != nil {
			return nil, fmt.Errorf("region %s: private subnet %s: %w", b.name, az, err)
		}
		privateRoutes, err := ec2.NewRouteTable(b.ctx, b.child("private-rt-"+suffix), &ec2.RouteTableArgs{
			VpcId:  vpc.ID(),
			Routes: ec2.RouteTableRouteArray{ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat.ID()}},
			Tags:   b.nameTag("private-rt-" + suffix),
		}, b.opts()...)
		if err != nil {
			return nil, fmt.Errorf("region %s: private route table %s: %w", b.name, az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(b.ctx, b.child("private-rta-"+suffix), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: privateRoutes.ID(),
		}, b.opts()...); err != nil {
			return nil, fmt.Errorf("region %s: private route association %s: %w", b.name, az, err)
		}
		n.private = append(n.private, priv)
	}
	return n, nil
}
