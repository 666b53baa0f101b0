"""Security primitives: field encryption, blind indexes and masking."""
