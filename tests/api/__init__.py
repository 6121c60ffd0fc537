"""The GraphQL contract, area by area: each query and mutation, its refusals."""
