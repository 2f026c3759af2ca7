"""End-to-end tests: apply the synthesized stacks against a local moto server (marker `emulator`)."""
