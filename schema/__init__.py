"""GraphQL types, inputs, enums and the Schema object (Strawberry, code-first)."""
