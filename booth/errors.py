"""The booth's exceptions.

Each error is one line an operator can act on: what went wrong, and the fix. Like gpiozero's errors, each
subclasses both :class:`BoothError` (so the command line can catch all of ours at once and print the line
instead of a traceback) and the builtin that describes it.
"""


class BoothError(Exception):
    """Base of every error the booth raises on purpose; ``str(err)`` is the one-line message."""


class ModelError(BoothError, RuntimeError):
    """A model file is missing, corrupt or of the wrong version."""


class RuntimeMissingError(BoothError, ImportError):
    """No TFLite runtime could be imported."""


class MediaError(BoothError, ValueError):
    """An image or video could not be read."""


class ConfigError(BoothError, ValueError):
    """The configuration file is malformed or holds an invalid value."""


class StorageError(BoothError, OSError):
    """The photo store (database or files) cannot be read or written."""


class DiskFullError(StorageError):
    """Too little free space to start a session or keep a photo; nothing half-written is left behind."""


class CameraFault(BoothError, RuntimeError):
    """The camera is absent, lost, stalled or its replay file is unreadable; the camera layer retries."""


class PinFactoryError(BoothError, RuntimeError):
    """The GPIO pin library could not start on a Raspberry Pi (never silently replaced by mock pins)."""


class PinOpenError(BoothError, RuntimeError):
    """A GPIO pin could not be claimed (in use, wrong number, no permission)."""


class ServeError(BoothError, OSError):
    """The booth page could not be served (address in use, no permission to listen)."""


class SessionBusy(BoothError, RuntimeError):
    """The session is still running, so it cannot be deleted."""


class SessionNotFound(StorageError, LookupError):
    """No stored session has that id (never started, or deleted meanwhile)."""
