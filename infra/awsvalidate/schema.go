package awsvalidate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Schema is the provider's resource schemas, as `terraform providers schema -json` prints them:
// what the mapping is checked against.
type Schema struct {
	Resources map[string]SchemaBlock
}

// SchemaBlock is a resource's (or a nested block's) attributes and blocks.
type SchemaBlock struct {
	Attributes map[string]SchemaAttr      `json:"attributes"`
	BlockTypes map[string]SchemaBlockType `json:"block_types"`
	Deprecated bool                       `json:"deprecated"`
}

// SchemaBlockType is a nested block.
type SchemaBlockType struct {
	NestingMode string      `json:"nesting_mode"`
	Block       SchemaBlock `json:"block"`
}

// SchemaAttr is one attribute; NestedType is set for the nested attributes of framework
// resources, which the JSON syntax writes as a block is written.
type SchemaAttr struct {
	Type       json.RawMessage `json:"type"`
	NestedType *struct {
		Attributes  map[string]SchemaAttr `json:"attributes"`
		NestingMode string                `json:"nesting_mode"`
	} `json:"nested_type"`
	Optional   bool `json:"optional"`
	Required   bool `json:"required"`
	Computed   bool `json:"computed"`
	Deprecated bool `json:"deprecated"`
}

// kind is the attribute's Kind, or false for a type the mapping has no kind for.
func (a SchemaAttr) kind() (Kind, bool) {
	if a.NestedType != nil {
		return Block, true
	}
	var t any
	if json.Unmarshal(a.Type, &t) != nil {
		return 0, false
	}
	switch t := t.(type) {
	case string:
		switch t {
		case "string":
			return String, true
		case "number":
			return Number, true
		case "bool":
			return Bool, true
		}
	case []any:
		if len(t) == 2 && t[1] == "string" {
			switch t[0] {
			case "list":
				return List, true
			case "set":
				return Set, true
			case "map":
				return Map, true
			}
		}
	}
	return 0, false
}

const providerAddress = "registry.terraform.io/hashicorp/aws"

// LoadSchema returns the provider's schema, read from the provider itself once and then kept
// beside its binary (it changes only with the provider's version).
func (t Tools) LoadSchema(ctx context.Context) (*Schema, error) {
	cached := filepath.Join(t.ProviderDir, "schema-terraform-"+t.TerraformVersion+".json")
	raw, err := os.ReadFile(cached)
	if err != nil {
		raw, err = t.readSchema(ctx)
		if err != nil {
			return nil, err
		}
		tmp := cached + ".tmp"
		if err := os.WriteFile(tmp, raw, 0o644); err != nil {
			return nil, fmt.Errorf("caching the provider schema: %w", err)
		}
		if err := os.Rename(tmp, cached); err != nil {
			return nil, fmt.Errorf("caching the provider schema: %w", err)
		}
	}
	var doc struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]struct {
				Block SchemaBlock `json:"block"`
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("reading the provider schema %s: %w", cached, err)
	}
	ps, ok := doc.ProviderSchemas[providerAddress]
	if !ok {
		return nil, fmt.Errorf("the schema in %s has no %s", cached, providerAddress)
	}
	s := &Schema{Resources: map[string]SchemaBlock{}}
	for name, r := range ps.ResourceSchemas {
		s.Resources[name] = r.Block
	}
	return s, nil
}

// readSchema asks the provider for its schema through Terraform.
func (t Tools) readSchema(ctx context.Context) ([]byte, error) {
	dir, err := os.MkdirTemp("", "aws-validate-schema-")
	if err != nil {
		return nil, fmt.Errorf("making a working directory for the provider schema: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg := `{"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, configFile), []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("writing the schema configuration: %w", err)
	}
	out, errOut, err := t.run(ctx, dir, "providers", "schema", "-json")
	if err != nil {
		return nil, fmt.Errorf("reading the provider schema (terraform providers schema -json): %v: %s", err, tail(errOut, out))
	}
	return out, nil
}

// CheckMapping compares the mapping with the provider's schema: every resource type and
// attribute it names exists, can be set, and has the kind the mapping gives it; an attribute
// the provider deprecates must say so in its Note. It returns every mismatch.
func CheckMapping(types map[string]Type, s *Schema) []string {
	var problems []string
	for pulumiType, t := range types {
		blk, ok := s.Resources[t.TF]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: the provider has no resource type %s", pulumiType, t.TF))
			continue
		}
		if blk.Deprecated && t.Note == "" {
			problems = append(problems, fmt.Sprintf("%s: the provider deprecates %s; say so in its Note", pulumiType, t.TF))
		}
		problems = append(problems, checkAttrs(pulumiType+" ("+t.TF+")", t.Attrs, blk.Attributes, blk.BlockTypes)...)
	}
	sort.Strings(problems)
	return problems
}

func checkAttrs(where string, attrs map[string]Attr, schemaAttrs map[string]SchemaAttr, blocks map[string]SchemaBlockType) []string {
	var problems []string
	for name, a := range attrs {
		at := fmt.Sprintf("%s: input %s -> %s", where, name, a.TF)
		if bt, isBlock := blocks[a.TF]; isBlock {
			if a.Kind != Block {
				problems = append(problems, fmt.Sprintf("%s: a nested block in the provider, mapped as %s", at, a.Kind))
				continue
			}
			if bt.Block.Deprecated && a.Note == "" {
				problems = append(problems, fmt.Sprintf("%s: deprecated by the provider; say so in its Note", at))
			}
			problems = append(problems, checkAttrs(at, a.Fields, bt.Block.Attributes, bt.Block.BlockTypes)...)
			continue
		}
		sa, ok := schemaAttrs[a.TF]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no such attribute or block in the provider", at))
			continue
		}
		if !sa.Optional && !sa.Required {
			problems = append(problems, fmt.Sprintf("%s: computed only in the provider; it cannot be set", at))
		}
		if sa.Deprecated && a.Note == "" {
			problems = append(problems, fmt.Sprintf("%s: deprecated by the provider; say so in its Note", at))
		}
		k, known := sa.kind()
		switch {
		case !known:
			problems = append(problems, fmt.Sprintf("%s: the provider's type %s has no kind in the mapping", at, strings.TrimSpace(string(sa.Type))))
		case k != a.Kind:
			problems = append(problems, fmt.Sprintf("%s: a %s in the provider, mapped as %s", at, k, a.Kind))
		case k == Block:
			problems = append(problems, checkAttrs(at, a.Fields, sa.NestedType.Attributes, nil)...)
		}
	}
	return problems
}
