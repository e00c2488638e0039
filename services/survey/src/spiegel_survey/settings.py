from pydantic import Field
from spiegel_platform.service import ServiceSettings


class SurveySettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_survey", pattern=r"^[A-Za-z0-9_]{1,60}$")
