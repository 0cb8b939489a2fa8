package kubernetes

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// skipAwaitAnnotation turns the provider's await off for one object
// (pulumi-kubernetes's metadata.AnnotationSkipAwait,
// https://github.com/pulumi/pulumi-kubernetes/pull/417).
const skipAwaitAnnotation = "pulumi.com/skipAwait"

// ecrImage matches a private ECR image reference: account, region,
// repository, then a tag or a digest
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html).
var ecrImage = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$`)

// awaitDeployment is the provider's Deployment await, as strict as the lab
// can make it without a kubelet. pulumi-kubernetes waits for a created or
// updated Deployment to be Available and fails the update after 10 minutes
// (k8sSource:sdk/go/kubernetes/apps/v1/deployment.go:17-37) unless the
// object carries pulumi.com/skipAwait "true". A pod whose image is missing
// from its ECR repository never becomes Ready (ImagePullBackOff), so the
// update fails: the lab fails it at once with that cause, rather than after
// the 10 minutes, which changes only when, not whether (the real provider
// also keeps the object in state with its initialization error; here the
// step fails without it, and the next `up` creates it again). A Deployment
// scaled to 0 is Available at once. Images outside private ECR are taken
// as pullable: the lab holds no other registry.
func awaitDeployment(c *provider.Ctx, in provider.Props) error {
	meta := provider.Obj(in, "metadata")
	if provider.StrMap(meta, "annotations")[skipAwaitAnnotation] == "true" {
		return nil
	}
	spec := provider.Obj(in, "spec")
	if provider.Int(spec, "replicas", 1) == 0 {
		return nil
	}
	pod := provider.Obj(provider.Obj(spec, "template"), "spec")
	for _, key := range []string{"initContainers", "containers"} {
		v, ok := pod[resource.PropertyKey(key)]
		if !ok || !v.IsArray() {
			continue
		}
		for _, ctr := range v.ArrayValue() {
			if !ctr.IsObject() {
				continue
			}
			container := ctr.ObjectValue()
			if err := pullable(c, provider.Str(container, "image")); err != nil {
				return fmt.Errorf("the Kubernetes API server reported that %q failed to fully initialize or become live: "+
					"timed out waiting to be Ready: [MinimumReplicasUnavailable] Deployment does not have minimum availability; "+
					"containers with unready status: [%s] -- [ImagePullBackOff] %v (the provider waits 10 minutes before it fails the update: "+
					"%s:sdk/go/kubernetes/apps/v1/deployment.go:17-37; %s \"true\" skips the wait)",
					provider.Str(meta, "namespace")+"/"+provider.Str(meta, "name"), provider.Str(container, "name"), err, k8sSource, skipAwaitAnnotation)
			}
		}
	}
	return nil
}

// pullable asks the lab's ECR whether a private ECR image exists.
func pullable(c *provider.Ctx, image string) error {
	m := ecrImage.FindStringSubmatch(image)
	if m == nil {
		return nil
	}
	region, repo, tag, digest := m[2], m[3], m[4], m[5]
	id := map[string]any{}
	switch {
	case digest != "":
		id["imageDigest"] = digest
	case tag != "":
		id["imageTag"] = tag
	default:
		id["imageTag"] = "latest"
	}
	cloud, err := c.Cloud()
	if err != nil {
		return err
	}
	in := map[string]any{"repositoryName": repo, "imageIds": []any{id}}
	if err := cloud.Call(c, region, "ecr", "DescribeImages", in, &map[string]any{}); err != nil {
		return fmt.Errorf("failed to pull image %q: %w", image, err)
	}
	return nil
}
