"""The base of a service's wiring: the one place that builds a process's parts.

Each service has a `wiring.py` with one subclass (`Survey(Wiring[SurveySettings])`) whose
constructor builds its parts (stores, clients, codecs, mailer, ...) from the runtime, each
replaceable by a keyword argument. Routers, handlers and background jobs take their parts
from `Survey.of(runtime)`: built on first use, one per process (the runtime keeps it), so
the api process and the consumer process each build their own, and nothing connects at
import. A test uses the real wiring with one part replaced by building it first:

    runtime = Runtime(DEFINITION, settings)
    Invitation(runtime, mailer=RecordingMailer())   # this process's wiring from now on
    app = build_api(runtime)                        # routers find the replaced part
"""

from __future__ import annotations

from typing import Any, Generic, Self

from spiegel_platform.service import Runtime, SettingsT


class Wiring(Generic[SettingsT]):
    def __init__(self, runtime: Runtime[SettingsT]) -> None:
        if runtime.wiring is not None:
            raise RuntimeError(f"the {runtime.definition.name} runtime is wired already")
        self.runtime = runtime
        self.settings: SettingsT = runtime.settings
        runtime.wiring = self

    @classmethod
    def of(cls, runtime: Runtime[Any]) -> Self:
        """This process's wiring: the one built for `runtime` (now, with every part real, if none was)."""
        found = runtime.wiring
        if found is None:
            return cls(runtime)
        if not isinstance(found, cls):
            raise TypeError(f"the runtime is wired by {type(found).__name__}, not {cls.__name__}")
        return found
