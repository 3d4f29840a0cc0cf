"""One module per API area; each resource class serves the sync and the async client."""
