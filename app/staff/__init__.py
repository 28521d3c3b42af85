"""The town office's pages: the dashboard and the audit log."""
