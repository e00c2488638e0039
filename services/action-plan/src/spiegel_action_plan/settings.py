from pydantic import Field, SecretStr, field_validator, model_validator
from spiegel_platform.service import Runtime, ServiceSettings

from spiegel_action_plan.pops.sealing import Keyring


class ActionPlanSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_action_plan", pattern=r"^[A-Za-z0-9_]{1,60}$")
    # The key encryption keys (KEKs) of the POPs' envelope encryption: `id:key` pairs, the key
    # 32 bytes in URL-safe base64, comma-separated, newest first. The first wraps every new data
    # key (and re-wraps older ones: pops/rotation.py); every one listed unwraps.
    pop_key_encryption_keys: SecretStr = Field(
        ...,
        description="KEKs as id:base64(32 bytes), comma-separated, newest first; the first wraps, all unwrap",
        # The form only (32 zero bytes): what the generated reference is built with.
        examples=["kek-2027-01:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
    )
    # How long an api process keeps an owner's unwrapped data key in memory (0: not at all): a POP
    # read or save then costs no extra database read. After an erasure another replica may still
    # open that owner's POPs for at most this long (the replica that erased forgets at once).
    data_key_cache_s: float = Field(30.0, ge=0, le=300)
    # How often the consumer process re-wraps data keys still wrapped by an older KEK.
    key_rotation_interval_s: float = Field(3600.0, gt=0, le=86400)
    # How often the consumer process looks for group plans due for their check, reminders due
    # and answered checks to finish (a pass that found work is followed at once by the next).
    check_interval_s: float = Field(60.0, gt=0, le=3600)
    # How many plans (or checks to remind) one pass takes.
    check_batch_size: int = Field(500, ge=1, le=5000)

    @field_validator("pop_key_encryption_keys")
    @classmethod
    def _keyring(cls, value: SecretStr) -> SecretStr:
        Keyring.parse(value.get_secret_value())  # ValueError naming what is wrong (never the key)
        return value

    @model_validator(mode="after")
    def _no_development_keys_in_production(self) -> "ActionPlanSettings":
        if self.spiegel_env == "production":
            ring = Keyring.parse(self.pop_key_encryption_keys.get_secret_value())
            if any(kek_id.startswith("dev-") for kek_id in ring.ids):
                raise ValueError(
                    "POP_KEY_ENCRYPTION_KEYS: a development key (id dev-...) is refused in production"
                )
        return self

    def keyring(self) -> Keyring:
        return Keyring.parse(self.pop_key_encryption_keys.get_secret_value())


# The runtime of this service: `runtime.settings` is an ActionPlanSettings (typed, no casts).
ActionPlanRuntime = Runtime[ActionPlanSettings]
