package secret

import (
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	a, err := Generate(48)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(48)
	if len(a) != 48 || a == b {
		t.Fatalf("two secrets %q and %q: want 48 characters each, different", a, b)
	}
	for _, r := range a {
		if !strings.ContainsRune(Alphabet, r) {
			t.Errorf("%q is not in the alphabet", r)
		}
	}
}
