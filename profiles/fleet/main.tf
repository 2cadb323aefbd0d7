# A fleet of N hardened nodes from one profile, with per-node overrides.
# The module calls hardnode_node_config itself (it does not reference the
# sibling profile modules), so it works from any source form: a relative or
# absolute path, a Git URL or a registry address.
locals {
  names = [for i in range(var.node_count) : format("%s-%03d", var.name_prefix, i + 1)]
  nodes = {
    for name in local.names : name => {
      level           = coalesce(try(var.overrides[name].level, null), var.level)
      container_users = coalesce(try(var.overrides[name].container_users, null), var.container_users)
      update          = coalesce(try(var.overrides[name].update, null), var.update)
      sysctls         = try(var.overrides[name].sysctls, {})
    }
  }
}

data "hardnode_node_config" "node" {
  for_each = local.nodes

  os_family       = var.os_family
  level           = each.value.level
  hostname        = each.key
  target          = var.target
  admin           = { ssh_authorized_keys = var.admin_ssh_keys }
  container_users = each.value.container_users
  update          = each.value.update
  sysctls         = each.value.sysctls
}
