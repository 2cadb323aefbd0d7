output "rendered" {
  description = "Ignition config (JSON) for the node's user data / fw_cfg."
  value       = data.hardnode_node_config.this.rendered
  sensitive   = true
}

output "butane" {
  description = "The hardened Butane config (YAML)."
  value       = data.hardnode_node_config.this.butane
  sensitive   = true
}

output "ignition_version" {
  description = "Ignition spec version of rendered."
  value       = data.hardnode_node_config.this.ignition_version
}

output "expectations" {
  description = "Expectations document (JSON) for hardnode_node_verification."
  value       = data.hardnode_node_config.this.expectations
}

output "host_public_key" {
  description = "Public host key to pin (empty unless host_key is set)."
  value       = data.hardnode_node_config.this.host_public_key
}

output "admin_user" {
  description = "The user to log in and verify as."
  value       = data.hardnode_node_config.this.admin_user
}
