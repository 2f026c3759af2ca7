"""Configuration: typed models, the loader that reports every problem, the example file."""

from config.loader import ConfigError, load_config, resolve_config_path
from config.models import ServiceConfig

__all__ = ["ConfigError", "ServiceConfig", "load_config", "resolve_config_path"]
