"""The AWS emulator harness: a moto server with its shims, offline Terraform, a fake SageMaker
runtime. Tests and tools both use it; it uses the project's code, never the tests."""
