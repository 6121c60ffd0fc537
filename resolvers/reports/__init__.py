"""The monthly monitoring report and the printed documents (PDF, XLSX)."""
