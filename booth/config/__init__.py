"""The booth's one configuration file (TOML): its sections (:mod:`~booth.config.sections`, pydantic
models with single-field checks), how settings are read, checked and written (:mod:`~booth.config.files`,
as TOML text by :mod:`~booth.config.toml_text`), and how the page's changes lie over the studio's file
(:mod:`~booth.config.layers`). The only pydantic and tomlkit user; imports nothing of the booth's domain.
"""

from booth.config.base import NONE, Section
from booth.config.files import (
    error_lines,
    errors_by_field,
    load,
    parse,
    read_table,
    read_text,
    salvage,
    save,
    to_toml,
    validate,
    write_table,
    write_text,
)
from booth.config.layers import (
    CHANGES_FILE,
    Key,
    Overrides,
    deep_merge,
    effective,
    keys_of,
    load_layered,
    overrides_after,
)
from booth.config.outbound import DeliverySettings, FleetSettings, HotspotSettings
from booth.config.sections import (
    DEFAULT_WEIGHTS,
    CameraSettings,
    LookBudget,
    LooksSettings,
    PinSettings,
    PolicySettings,
    ScorePart,
    SessionSettings,
    Settings,
    StandbySettings,
    StorageSettings,
    VisionSettings,
    WebSettings,
)
from booth.config.toml_text import described
from booth.errors import ConfigError

__all__ = [
    "CHANGES_FILE",
    "DEFAULT_WEIGHTS",
    "NONE",
    "CameraSettings",
    "ConfigError",
    "DeliverySettings",
    "FleetSettings",
    "HotspotSettings",
    "Key",
    "LookBudget",
    "LooksSettings",
    "Overrides",
    "PinSettings",
    "PolicySettings",
    "ScorePart",
    "Section",
    "SessionSettings",
    "Settings",
    "StandbySettings",
    "StorageSettings",
    "VisionSettings",
    "WebSettings",
    "deep_merge",
    "described",
    "effective",
    "error_lines",
    "errors_by_field",
    "keys_of",
    "load",
    "load_layered",
    "overrides_after",
    "parse",
    "read_table",
    "read_text",
    "salvage",
    "save",
    "to_toml",
    "validate",
    "write_table",
    "write_text",
]
