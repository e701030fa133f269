"""DynamoDB adapter: one table, PynamoDB models, repositories."""
