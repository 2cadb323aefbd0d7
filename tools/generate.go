// Package tools generates the provider documentation under docs/ with
// tfplugindocs, offline: the provider schema comes from the terraform on PATH
// (docs-schema.sh), never from a downloaded Terraform.
package tools

//go:generate bash ./docs-schema.sh build/docs/schema.json
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name hardnode --rendered-provider-name hardnode --providers-schema ../build/docs/schema.json
