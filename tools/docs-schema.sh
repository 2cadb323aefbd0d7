#!/usr/bin/env bash
# Writes the provider's schema as JSON for tfplugindocs, offline: builds the
# provider, points a throwaway Terraform CLI config at it with dev_overrides
# and asks the terraform on PATH for `providers schema -json`.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-build/docs/schema.json}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

go build -o "$work/bin/terraform-provider-hardnode" .
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "hardnode/hardnode" = "$work/bin"
  }
  direct {}
}
RC
cat >"$work/main.tf" <<'TF'
terraform {
  required_providers {
    hardnode = { source = "hardnode/hardnode" }
  }
}
TF

mkdir -p "$(dirname "$out")"
CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$work/terraformrc" \
	terraform -chdir="$work" providers schema -json >"$work/schema.json"
# tfplugindocs looks the schema up by the provider's short name.
sed 's|"registry.terraform.io/hardnode/hardnode":{|"hardnode":{|' "$work/schema.json" >"$out"
echo "wrote $out"
