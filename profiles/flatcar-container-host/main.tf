# A hardened Flatcar Container Linux host for rootless containers.
data "hardnode_node_config" "this" {
  os_family       = "flatcar"
  level           = var.level
  hostname        = var.hostname
  target          = var.target
  admin           = { name = var.admin_user, ssh_authorized_keys = var.admin_ssh_keys }
  ssh             = { host_key = var.host_key }
  container_users = var.container_users
  podman = {
    trust    = var.trust
    quadlets = var.quadlets
  }
  selinux  = { mode = var.selinux_mode }
  update   = var.update
  sysctls  = var.sysctls
  snippets = var.snippets
}
