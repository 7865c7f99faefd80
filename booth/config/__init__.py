"""The booth's one configuration file (TOML): its sections (:mod:`~booth.config.sections`, pydantic
models with single-field checks) and how settings are read, written and layered
(:mod:`~booth.config.files`). The only pydantic user; imports nothing of the booth's domain.
"""

from booth.config.files import (
    CHANGES_FILE,
    deep_merge,
    errors_by_field,
    load,
    load_layered,
    read_table,
    save,
    to_toml,
    validate,
    write_table,
)
from booth.config.sections import (
    DEFAULT_WEIGHTS,
    NONE,
    CameraSettings,
    LookBudget,
    LooksSettings,
    PinSettings,
    PolicySettings,
    ScorePart,
    Section,
    SessionSettings,
    Settings,
    StorageSettings,
    VisionSettings,
    WebSettings,
)
from booth.errors import ConfigError

__all__ = [
    "CHANGES_FILE",
    "DEFAULT_WEIGHTS",
    "NONE",
    "CameraSettings",
    "ConfigError",
    "LookBudget",
    "LooksSettings",
    "PinSettings",
    "PolicySettings",
    "ScorePart",
    "Section",
    "SessionSettings",
    "Settings",
    "StorageSettings",
    "VisionSettings",
    "WebSettings",
    "deep_merge",
    "errors_by_field",
    "load",
    "load_layered",
    "read_table",
    "save",
    "to_toml",
    "validate",
    "write_table",
]
