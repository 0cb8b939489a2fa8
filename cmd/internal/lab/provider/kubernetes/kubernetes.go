// Package kubernetes is the lab's pulumi-resource-kubernetes, answering for
// pulumi-kubernetes v4.32.0 (sdk/v4@v4.32.0/go/kubernetes/pulumi-plugin.json).
//
// Every kind is served generically (objects kept in the provider's state
// with the metadata the API server adds), with pulumi-kubernetes's own
// rules for names and replacement: autonaming
// (provider/pkg/metadata/naming.go), replace-on-change fields per kind
// (provider/pkg/provider/diff.go:23-270) and delete-before-replace for a
// named object (provider/pkg/provider/provider.go:1647-1662). The lab's
// clusters are answered by the lab itself (kubectl stays lab-answered,
// the lab cloud RPC has no Kubernetes service), so objects are not pushed
// anywhere; the one thing a cluster would decide that the lab can, whether
// an awaited Deployment's ECR images exist, is asked of the lab's ECR
// (await.go).
package kubernetes

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/taskflow/taskflow-dr/cmd/internal/lab/provider"
)

// Name and Version are the plugin's.
const (
	Name    = "kubernetes"
	Version = "4.32.0"
)

const k8sSource = "pulumi/pulumi-kubernetes@v4.32.0"

// autonamedAnnotation marks a generated name (metadata.AnnotationAutonamed).
const autonamedAnnotation = "pulumi.com/autonamed"

// Package returns the kubernetes plugin.
func Package() *provider.Package {
	p := &provider.Package{
		Name:    Name,
		Version: Version,
		Types:   map[string]*provider.Type{"kubernetes:helm.sh/v3:Release": helmRelease()},
		Fallback: func(token string) (*provider.Type, bool) {
			gv, kind, ok := parseToken(token)
			if !ok {
				return nil, false
			}
			return objectType(token, gv, kind), true
		},
	}
	return p
}

// parseToken splits kubernetes:<group>/<version>:<Kind> (core kinds are
// core/v1) into the apiVersion and kind.
func parseToken(token string) (apiVersion, kind string, ok bool) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" {
		return "", "", false
	}
	gv := parts[1]
	if strings.HasPrefix(gv, "core/") {
		gv = strings.TrimPrefix(gv, "core/")
	}
	// Components and functions are not objects.
	switch {
	case strings.HasPrefix(gv, "helm.sh/"), strings.HasPrefix(gv, "yaml/"), strings.HasPrefix(gv, "kustomize/"):
		return "", "", false
	}
	return gv, parts[2], true
}

// clusterScoped are the built-in kinds without a namespace; anything else,
// including custom resources without a registered definition, is taken as
// namespaced, as the provider does (provider.go Diff: IsNamespacedKind
// falls back to namespaced).
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"StorageClass": true, "CustomResourceDefinition": true, "MutatingWebhookConfiguration": true,
	"ValidatingWebhookConfiguration": true, "PriorityClass": true, "APIService": true, "CSIDriver": true,
	"CSINode": true, "VolumeAttachment": true, "RuntimeClass": true, "IngressClass": true,
	"CertificateSigningRequest": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

// forceNew is the replace-on-change table of
// k8sSource:provider/pkg/provider/diff.go:45-205 by kind (metadata.name and
// metadata.namespace always, :25).
var forceNew = map[string][]string{
	"apps/v1:Deployment":                              selector("spec.selector"),
	"apps/v1:DaemonSet":                               selector("spec.selector"),
	"apps/v1:StatefulSet":                             append([]string{"spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.serviceName", "spec.volumeClaimTemplates"}, selector("spec.selector")...),
	"v1:PersistentVolumeClaim":                        append([]string{"spec.accessModes", "spec.storageClassName", "spec.volumeName"}, selector("spec.selector")...),
	"v1:ResourceQuota":                                {"spec.scopes"},
	"v1:Service":                                      {"spec.clusterIP"},
	"batch/v1:Job":                                    append([]string{"spec.completions", "spec.parallelism", "spec.template"}, selector("spec.selector")...),
	"rbac.authorization.k8s.io/v1:RoleBinding":        {"roleRef"},
	"rbac.authorization.k8s.io/v1:ClusterRoleBinding": {"roleRef"},
	"storage.k8s.io/v1:StorageClass":                  {"parameters", "provisioner"},
	"policy/v1beta1:PodDisruptionBudget":              {"spec"},
}

func selector(prefix string) []string {
	return []string{prefix, prefix + ".matchExpressions", prefix + ".matchLabels"}
}

func objectType(token, apiVersion, kind string) *provider.Type {
	key := apiVersion + ":" + kind
	namespaced := !clusterScoped[kind]
	return &provider.Type{
		Token: token,
		ForceNewFor: func(c *provider.Ctx, news provider.Props) []string {
			fields := append([]string{"metadata.name", "metadata.namespace"}, forceNew[key]...)
			immutable := provider.Bool(news, "immutable", false)
			switch {
			case kind == "Secret" && apiVersion == "v1" && (!provider.Bool(c.Config, "enableSecretMutable", false) || immutable):
				// diff.go:29-30: a Secret is replaced when its type or data
				// changes unless the provider makes Secrets mutable.
				fields = append(fields, "type", "stringData", "data")
			case kind == "ConfigMap" && apiVersion == "v1" && (!provider.Bool(c.Config, "enableConfigMapMutable", false) || immutable):
				// diff.go:33-34: likewise ConfigMaps and their data.
				fields = append(fields, "binaryData", "data")
			}
			return fields
		},
		DeleteBeforeReplaceFor: func(oldInputs, news provider.Props) bool {
			// provider.go:1647-1662: replace in place of a named, not
			// autonamed object with the same name and namespace must
			// delete first (the API server refuses a duplicate name).
			nm, om := provider.Obj(news, "metadata"), provider.Obj(oldInputs, "metadata")
			return provider.Str(nm, "name") != "" && provider.StrMap(nm, "annotations")[autonamedAnnotation] != "true" &&
				provider.Str(nm, "name") == provider.Str(om, "name") && provider.Str(nm, "namespace") == provider.Str(om, "namespace")
		},
		Normalize: func(c *provider.Ctx, olds, news provider.Props, defaults map[string]bool) error {
			return normalizeObject(c, apiVersion, kind, namespaced, olds, news)
		},
		Create: func(c *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			meta := provider.Obj(in, "metadata")
			name := provider.Str(meta, "name")
			if name == "" {
				return "", nil, fmt.Errorf("%s: metadata.name is required", kind)
			}
			id := name
			if namespaced {
				id = provider.Str(meta, "namespace") + "/" + name
			}
			if key == "apps/v1:Deployment" {
				if err := awaitDeployment(c, in); err != nil {
					return "", nil, err
				}
			}
			return id, liveObject(in, kind, 1), nil
		},
		Update: func(c *provider.Ctx, _ string, olds, _, news, outs provider.Props) (provider.Props, error) {
			if key == "apps/v1:Deployment" {
				if err := awaitDeployment(c, news); err != nil {
					return nil, err
				}
			}
			gen := provider.Int(provider.Obj(olds, "metadata"), "generation", 1) + 1
			live := liveObject(news, kind, gen)
			// The object keeps its identity across updates.
			lm := live["metadata"].ObjectValue()
			om := provider.Obj(olds, "metadata")
			for _, k := range []string{"uid", "creationTimestamp"} {
				if v, ok := om[resource.PropertyKey(k)]; ok {
					lm[resource.PropertyKey(k)] = v
				}
			}
			return live, nil
		},
	}
}

// normalizeObject sets apiVersion and kind, the default namespace of a
// namespaced object, and an autoname (naming.go AssignNameIfAutonamable:
// "<name>-" plus 8 random hex characters from the engine's seed, marked
// with the pulumi.com/autonamed annotation; AdoptOldAutonameIfUnnamed keeps
// a previous one).
func normalizeObject(c *provider.Ctx, apiVersion, kind string, namespaced bool, olds, news provider.Props) error {
	provider.SetIfAbsent(news, "apiVersion", apiVersion)
	provider.SetIfAbsent(news, "kind", kind)
	meta := provider.Obj(news, "metadata")
	if meta == nil {
		if v, ok := news["metadata"]; ok && v.ContainsUnknowns() {
			return nil
		}
		meta = provider.Props{}
		news["metadata"] = resource.NewProperty(meta)
	}
	if namespaced {
		if _, ok := meta["namespace"]; !ok {
			meta["namespace"] = resource.NewProperty("default")
		}
	} else {
		delete(meta, "namespace")
	}
	if _, named := meta["name"]; named {
		return nil
	}
	if _, gen := meta["generateName"]; gen {
		return nil
	}
	old := provider.Obj(olds, "metadata")
	if provider.StrMap(old, "annotations")[autonamedAnnotation] == "true" && provider.Str(old, "name") != "" {
		meta["name"] = resource.NewProperty(provider.Str(old, "name"))
	} else {
		name, err := resource.NewUniqueName(c.Seed, c.Name()+"-", 0, 0, nil)
		if err != nil {
			return err
		}
		meta["name"] = resource.NewProperty(name)
	}
	ann := provider.Obj(meta, "annotations")
	if ann == nil {
		ann = provider.Props{}
	}
	ann[autonamedAnnotation] = resource.NewProperty("true")
	meta["annotations"] = resource.NewProperty(ann)
	return nil
}

// liveObject is the object as the API server returns it: the inputs plus
// the server-set metadata.
func liveObject(in provider.Props, kind string, generation int) provider.Props {
	out := provider.Copy(in)
	delete(out, "__defaults")
	meta := provider.Obj(out, "metadata")
	if meta == nil {
		meta = provider.Props{}
	}
	meta["uid"] = resource.NewProperty(provider.UUID())
	meta["resourceVersion"] = resource.NewProperty(fmt.Sprint(time.Now().UnixNano() / 1000))
	meta["creationTimestamp"] = resource.NewProperty(time.Now().UTC().Format(time.RFC3339))
	meta["generation"] = resource.NewProperty(float64(generation))
	out["metadata"] = resource.NewProperty(meta)
	if kind == "Namespace" {
		out["status"] = resource.NewProperty(provider.FromGo(map[string]any{"phase": "Active"}))
	}
	return out
}

// helmRelease is kubernetes:helm.sh/v3:Release: name and namespace
// replace it (k8sSource:provider/pkg/provider/helm_release.go:907), never
// deleting first (:931), and an unnamed release is named
// "<name>-" plus 8 random hex characters (:785-793). The lab installs no
// chart: the release is recorded as deployed (the real provider would fetch
// the chart, which the offline lab cannot).
func helmRelease() *provider.Type {
	status := func(in provider.Props, revision int) resource.PropertyValue {
		return resource.NewProperty(provider.FromGo(map[string]any{
			"name": provider.Str(in, "name"), "namespace": provider.Str(in, "namespace"),
			"chart": provider.Str(in, "chart"), "version": provider.Str(in, "version"),
			"appVersion": provider.Str(in, "version"), "revision": revision, "status": "deployed",
		}))
	}
	return &provider.Type{
		Token:    "kubernetes:helm.sh/v3:Release",
		ForceNew: []string{"name", "namespace"},
		Normalize: func(c *provider.Ctx, olds, news provider.Props, _ map[string]bool) error {
			if !provider.Has(news, "name") || provider.Str(news, "name") == "" {
				if n := provider.Str(olds, "name"); n != "" {
					news["name"] = resource.NewProperty(n)
				} else {
					n, err := resource.NewUniqueHex(c.Name()+"-", 0, 0)
					if err != nil {
						return err
					}
					news["name"] = resource.NewProperty(n)
				}
			}
			provider.SetIfAbsent(news, "namespace", "default")
			return nil
		},
		Create: func(_ *provider.Ctx, in provider.Props) (string, provider.Props, error) {
			return provider.Str(in, "namespace") + "/" + provider.Str(in, "name"), provider.Props{"status": status(in, 1)}, nil
		},
		Update: func(_ *provider.Ctx, _ string, olds, _, news, outs provider.Props) (provider.Props, error) {
			rev := provider.Int(provider.Obj(olds, "status"), "revision", 1) + 1
			outs["status"] = status(news, rev)
			return outs, nil
		},
	}
}
