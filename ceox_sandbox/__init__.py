"""A local server that behaves like the CEOX WhatsApp API (reference/CONTRACT.md), for demos and tests."""
