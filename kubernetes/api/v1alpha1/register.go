package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version of the API; Kind and Plural name the resource.
const (
	Group   = "rediskit.io"
	Version = "v1alpha1"
	Kind    = "Cache"
	Plural  = "caches"
)

// SchemeGroupVersion is the API's group and version.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

var (
	// SchemeBuilder registers the API's types; AddToScheme adds them to a scheme (the
	// operator's client, a test's fake).
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	AddToScheme   = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &Cache{}, &CacheList{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
