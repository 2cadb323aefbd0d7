terraform {
  required_providers {
    hardnode = {
      source = "hardnode/hardnode"
    }
  }
}

# The simple case: one Butane document, rendered in its variant's spec.
# The function is strict: any Butane warning fails the call. Use the
# hardnode_butane data source for snippets, files_dir or non-strict use.
output "ignition" {
  value = provider::hardnode::butane(<<-EOT
    variant: flatcar
    version: 1.1.0
    storage:
      files:
        - path: /etc/hostname
          mode: 0644
          contents:
            inline: node-1.example.com
  EOT
  )
}
