# The simple case: one Butane document, rendered in its variant's spec.
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
