package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CertificateType is the certificate component's Pulumi type.
const CertificateType = "taskflow:dr:Certificate"

// CertificateArgs describes one region's certificate for the app host.
type CertificateArgs struct {
	Host   string
	ZoneId string
}

// Certificate is an ACM certificate for the app host, in the region of the
// provider it is created through, validated by DNS.
type Certificate struct {
	pulumi.ResourceState

	// Arn is the certificate's ARN once validation has succeeded, so a
	// listener that uses it never gets a pending certificate.
	Arn pulumi.StringOutput `pulumi:"arn"`
}

// NewCertificate requests and validates the certificate. Both regions'
// certificates for the same name get the same validation record from ACM;
// the record allows overwrite so that whichever stack runs second adopts it
// instead of failing.
func NewCertificate(ctx *pulumi.Context, name string, args CertificateArgs, provider *aws.Provider, opts ...pulumi.ResourceOption) (*Certificate, error) {
	c := &Certificate{}
	if err := ctx.RegisterComponentResource(CertificateType, name, c, append(opts, pulumi.Providers(provider))...); err != nil {
		return nil, fmt.Errorf("register certificate %s: %w", name, err)
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}

	cert, err := acm.NewCertificate(ctx, name+"-cert", &acm.CertificateArgs{
		DomainName:       pulumi.String(args.Host),
		ValidationMethod: pulumi.String("DNS"),
		KeyAlgorithm:     pulumi.String("EC_prime256v1"),
		Tags:             pulumi.StringMap{"Name": pulumi.String(name + "-cert")},
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", name, err)
	}
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-validation", &route53.RecordArgs{
		ZoneId:         pulumi.String(args.ZoneId),
		Name:           option.ResourceRecordName().Elem(),
		Type:           option.ResourceRecordType().Elem(),
		Records:        pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:            pulumi.Int(60),
		AllowOverwrite: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: validation record: %w", name, err)
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-validated", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: validation: %w", name, err)
	}
	c.Arn = validation.CertificateArn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"arn": c.Arn}); err != nil {
		return nil, fmt.Errorf("register certificate %s outputs: %w", name, err)
	}
	return c, nil
}
