"""Packaging: `dsaops build` (builder), the self-extracting .run (archive, runfile, sh/), `dsaops install` /
`uninstall` (installer) and `dsaops doctor` (doctor)."""
