locals {
  all = merge(module.flatcar, module.microos)
}

output "rendered" {
  description = "Ignition config per node name."
  value       = { for name, m in local.all : name => m.rendered }
  sensitive   = true
}

output "expectations" {
  description = "Expectations document per node name, for hardnode_node_verification."
  value       = { for name, m in local.all : name => m.expectations }
}

output "admin_users" {
  description = "Admin user per node name."
  value       = { for name, m in local.all : name => m.admin_user }
}

output "node_names" {
  description = "The node names, in order."
  value       = local.names
}
