"""The rules in-process: plain functions of resolvers/ and tenants/, no HTTP."""
