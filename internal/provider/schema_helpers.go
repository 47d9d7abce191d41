package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// computedStrings builds read-only string attributes from their descriptions.
func computedStrings(descriptions map[string]string) map[string]schema.Attribute {
	attrs := make(map[string]schema.Attribute, len(descriptions))
	for name, description := range descriptions {
		attrs[name] = schema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return attrs
}

// stringObjectType is the object type of the attributes computedStrings builds.
func stringObjectType(descriptions map[string]string) types.ObjectType {
	attrTypes := make(map[string]attr.Type, len(descriptions))
	for name := range descriptions {
		attrTypes[name] = types.StringType
	}
	return types.ObjectType{AttrTypes: attrTypes}
}
