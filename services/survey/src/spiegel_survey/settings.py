from pydantic import Field
from spiegel_platform.service import Runtime, ServiceSettings


class SurveySettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_survey", pattern=r"^[A-Za-z0-9_]{1,60}$")
    # How often the consumer process looks for rounds whose closing time has passed.
    round_close_interval_s: float = Field(15.0, gt=0, le=3600)
    # How often it finishes submissions a crash interrupted (a scan of `submissions`).
    submission_repair_interval_s: float = Field(300.0, gt=0, le=86400)


# The runtime of this service: `runtime.settings` is a SurveySettings (typed, no casts).
SurveyRuntime = Runtime[SurveySettings]
