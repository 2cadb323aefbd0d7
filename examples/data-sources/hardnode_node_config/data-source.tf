terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

# A restricted Flatcar node for rootless containers: one admin key, a web
# service run by its own user from a signed image, reboots on Thursday nights.
data "hardnode_node_config" "edge" {
  os_family = "flatcar"
  level     = "restricted"
  hostname  = "edge-1.example.com"
  target    = "flatcar-4081.2.0" # LTS-2024: Podman sysext (3941+), spec 3.4.0

  admin = {
    ssh_authorized_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERNrg9B4aDzubKhCA9vwqAmZFcCSvopWnpw2SpjIRfd core@example.com"]
  }

  container_users = [
    { name = "web", linger = true },
    { name = "batch", uid = 6100, subid_start = 300000, subid_count = 131072 },
  ]

  podman = {
    trust = [{
      scope = "ghcr.io/acme"
      type  = "sigstore"
      key   = file("${path.module}/cosign.pub")
    }]
    quadlets = [{
      name             = "web"
      user             = "web"
      image            = "ghcr.io/acme/web:1.4.2"
      publish_ports    = ["8080:8080"]
      add_capabilities = ["NET_BIND_SERVICE"]
    }]
  }

  update = {
    strategy      = "reboot"
    window_start  = "Thu 04:00"
    window_length = "1h30m"
    group         = "stable"
  }
}

# The Ignition config for the machine's user data (sensitive: it may carry a
# host key), and what hardnode_node_verification checks once it booted.
output "ignition" {
  value     = data.hardnode_node_config.edge.rendered
  sensitive = true
}

output "expectations" {
  value = data.hardnode_node_config.edge.expectations
}
