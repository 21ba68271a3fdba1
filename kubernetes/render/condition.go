package render

import (
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rediskit/rediskit/internal/validate"
	"github.com/rediskit/rediskit/kubernetes/api/v1alpha1"
)

// maxMessage keeps a condition's message under the API server's limit (32768 bytes).
const maxMessage = 32000

// ValidCondition is the Cache's Valid condition for Resolve's error: True when the spec is
// valid; otherwise False with reason InvalidSpec and a message naming every problem's field
// (as under the object, spec.shards), the value given and what is allowed.
func ValidCondition(err error, generation int64) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionValid, ObservedGeneration: generation}
	if err == nil {
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, v1alpha1.ReasonValidSpec, "the spec is valid"
		return c
	}
	c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonInvalidSpec
	var verr *validate.Error
	if !errors.As(err, &verr) {
		c.Message = err.Error()
		return c
	}
	lines := make([]string, len(verr.Problems))
	for i, p := range verr.Problems {
		p.Field = "spec." + p.Field
		lines[i] = p.String()
	}
	c.Message = fmt.Sprintf("%d problem(s): %s", len(lines), strings.Join(lines, "; "))
	if len(c.Message) > maxMessage {
		c.Message = c.Message[:maxMessage] + " ..."
	}
	return c
}
