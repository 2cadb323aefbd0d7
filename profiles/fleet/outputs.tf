output "rendered" {
  description = "Ignition config per node name."
  value       = { for name, n in data.hardnode_node_config.node : name => n.rendered }
  sensitive   = true
}

output "expectations" {
  description = "Expectations document per node name, for hardnode_node_verification."
  value       = { for name, n in data.hardnode_node_config.node : name => n.expectations }
}

output "admin_users" {
  description = "Admin user per node name."
  value       = { for name, n in data.hardnode_node_config.node : name => n.admin_user }
}

output "node_names" {
  description = "The node names, in order."
  value       = local.names
}
