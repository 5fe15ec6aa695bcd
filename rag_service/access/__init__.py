"""Who may read and write which collection: API keys with roles, the collections list, the audit trail."""
