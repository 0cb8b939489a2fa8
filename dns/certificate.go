package dns

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/taskflow/taskflow-dr/component"
)

// CertificateArgs describes one region's certificate for the app host.
type CertificateArgs struct {
	Host   string
	ZoneId string
	// OwnsValidationRecord: ACM gives both regions' certificates for the
	// same name in one account the same DNS validation record
	// (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html),
	// so exactly one stack (the primary) owns it; the other validates
	// against it without owning it, and destroying or replacing that stack
	// can never delete the record the other region's renewals need.
	OwnsValidationRecord bool
}

// Certificate is an ACM certificate for the app host, in the region of the
// provider it is created through, validated by DNS.
type Certificate struct {
	pulumi.ResourceState

	// Arn is the certificate's ARN once validation has succeeded, so a
	// listener that uses it never gets a pending certificate.
	Arn pulumi.StringOutput `pulumi:"arn"`
}

// NewCertificate requests and validates the certificate.
func NewCertificate(ctx *pulumi.Context, name string, args *CertificateArgs, opts ...pulumi.ResourceOption) (*Certificate, error) {
	c := &Certificate{}
	if err := component.Register(ctx, "Certificate", name, c, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(c)}

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
	fqdn := option.ResourceRecordName().Elem()
	if args.OwnsValidationRecord {
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
		fqdn = record.Fqdn
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-validated", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{fqdn},
	}, child...)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: validation: %w", name, err)
	}
	c.Arn = validation.CertificateArn
	if err := component.Finish(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}
