"""A local server that behaves like the CEOX WhatsApp API (docs/contract.md), for demos and tests."""
