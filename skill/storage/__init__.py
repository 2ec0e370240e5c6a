"""Per-user memory behind ask-sdk-core's persistence interface: SQLite or DynamoDB."""
