"""Tool modules; each has `register(mcp, backends)` adding its tools to the catalog."""
