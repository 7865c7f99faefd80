"""The running booth, in small parts (see ``booth/service/booth_service.py`` for how they fit):

- :mod:`~booth.service.booth_service`: :class:`BoothService`, the thin analysis loop and the page's entry
  points;
- :mod:`~booth.service.runner`: the session runner, which carries out the session's actions;
- :mod:`~booth.service.status`: the frozen status and the pure function that builds it (and
  :mod:`~booth.service.stored`, the stored sessions' count it shows);
- :mod:`~booth.service.pace`: the analysed frame rate, and the operator's warning when it falls short;
- :mod:`~booth.service.standby`: an empty booth between sitters analyses a few frames a second;
- :mod:`~booth.service.events`: live events and their subscriptions;
- :mod:`~booth.service.actions`: work queued for the analysis thread;
- :mod:`~booth.service.settings_change`: a settings change checked whole before it applies;
- :mod:`~booth.service.baseline` and :mod:`~booth.service.lights`: the baseline step and the light's pattern.
- :mod:`~booth.service.teaching`: the operator page's "Teach a look" (takes recorded on the analysis thread by
  :mod:`~booth.service.teach`, a live preview, save and undo in the looks file by
  :mod:`~booth.service.looks_file`, and refits from the photographer's marks).
"""

from booth.service.booth_service import BoothService, Health
from booth.service.events import Event, Subscription
from booth.service.status import BoothStatus

__all__ = ["BoothService", "BoothStatus", "Event", "Health", "Subscription"]
