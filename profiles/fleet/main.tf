# A fleet of N hardened nodes from one profile, with per-node overrides.
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

module "flatcar" {
  source   = "../flatcar-container-host"
  for_each = var.os_family == "flatcar" ? local.nodes : {}

  hostname        = each.key
  level           = each.value.level
  admin_ssh_keys  = var.admin_ssh_keys
  container_users = each.value.container_users
  update          = each.value.update
  sysctls         = each.value.sysctls
  target          = var.target
}

module "microos" {
  source   = "../microos-container-host"
  for_each = var.os_family == "microos" ? local.nodes : {}

  hostname        = each.key
  level           = each.value.level
  admin_ssh_keys  = var.admin_ssh_keys
  container_users = each.value.container_users
  update          = each.value.update
  sysctls         = each.value.sysctls
  target          = var.target
}
