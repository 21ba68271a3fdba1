package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/rediskit/rediskit/infra/program"
)

// placeholderSecret stands in for a secure config value, which cannot be decrypted offline. It is
// a well-formed AUTH token so validation passes; being secret, it is never printed.
const placeholderSecret = "offline-plan-placeholder-0000"

// StackConfig reads stacks/Pulumi.<stack>.yaml under root into the map the Pulumi engine hands a
// program. Secure values are replaced by a secret placeholder and named in the notes.
func StackConfig(root, stack string) (cfg map[string]string, secretKeys, notes []string, err error) {
	path := filepath.Join(root, "stacks", "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading stack %q: %w", stack, err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, nil, nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	cfg = map[string]string{}
	for k, v := range doc.Config {
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			cfg[k] = placeholderSecret
			secretKeys = append(secretKeys, k)
			notes = append(notes, fmt.Sprintf("%s is a secure value; the offline plan does not decrypt it and uses a secret placeholder", k))
			continue
		}
		switch x := v.(type) {
		case string:
			cfg[k] = x
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("encoding config %s: %w", k, err)
			}
			cfg[k] = string(b)
		}
	}
	sort.Strings(secretKeys)
	sort.Strings(notes)
	return cfg, secretKeys, notes, nil
}

// ProjectName reads the project name from root/Pulumi.yaml.
func ProjectName(root string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return "", fmt.Errorf("reading project file: %w", err)
	}
	var doc struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil || doc.Name == "" {
		return "", fmt.Errorf("reading project name from %s: no name (%v)", filepath.Join(root, "Pulumi.yaml"), err)
	}
	return doc.Name, nil
}

// Stack plans a stack of the rediskit program from its stack file.
func Stack(root, stack string) (*Plan, error) {
	project, err := ProjectName(root)
	if err != nil {
		return nil, err
	}
	cfg, secrets, notes, err := StackConfig(root, stack)
	if err != nil {
		return nil, err
	}
	p, err := Run(program.Run, project, stack, cfg, secrets)
	if err != nil {
		return nil, fmt.Errorf("planning stack %q: %w", stack, err)
	}
	p.Notes = notes
	return p, nil
}
