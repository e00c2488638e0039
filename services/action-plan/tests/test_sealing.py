"""The envelope encryption, pure: keyring parsing, wrapping, rotation, tampering, binding."""

from __future__ import annotations

import pytest
from spiegel_action_plan.pops import sealing
from spiegel_action_plan.pops.sealing import Keyring, Unreadable, Wrapped


def ring(*ids: str) -> tuple[Keyring, list[str]]:
    entries = [Keyring.generate(i) for i in ids]
    return Keyring.parse(",".join(entries)), entries


def test_the_newest_wraps_and_every_key_unwraps() -> None:
    old, old_entries = ring("k1")
    data_key = sealing.new_data_key()
    context = sealing.key_context("t", "owner", "dk1")
    wrapped = old.wrap(data_key, context)
    assert wrapped.kek_id == "k1" and data_key not in wrapped.blob
    newest = Keyring.generate("k2")
    rotated = Keyring.parse(",".join([newest, *old_entries]))
    assert rotated.newest == "k2" and rotated.needs_rewrap(wrapped)
    assert rotated.unwrap(wrapped, context) == data_key
    rewrapped = rotated.wrap(rotated.unwrap(wrapped, context), context)
    assert rewrapped.kek_id == "k2" and not rotated.needs_rewrap(rewrapped)
    # Once k1 is removed, only the re-wrapped key opens.
    only_new = Keyring.parse(newest)
    assert only_new.unwrap(rewrapped, context) == data_key
    with pytest.raises(Unreadable):
        only_new.unwrap(wrapped, context)


def test_a_wrapped_key_or_a_plan_moved_elsewhere_does_not_open() -> None:
    keyring, _ = ring("k1")
    data_key = sealing.new_data_key()
    wrapped = keyring.wrap(data_key, sealing.key_context("t", "anna", "dk"))
    with pytest.raises(Unreadable):  # the same wrapped key under another owner
        keyring.unwrap(wrapped, sealing.key_context("t", "bert", "dk"))
    with pytest.raises(Unreadable):  # another hospital
        keyring.unwrap(wrapped, sealing.key_context("t2", "anna", "dk"))
    blob = sealing.seal(data_key, b"mijn doel", sealing.plan_context("t", "anna", "p1"))
    assert b"mijn doel" not in blob
    assert sealing.open_sealed(data_key, blob, sealing.plan_context("t", "anna", "p1")) == b"mijn doel"
    with pytest.raises(Unreadable):
        sealing.open_sealed(data_key, blob, sealing.plan_context("t", "anna", "p2"))
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(Unreadable):
        sealing.open_sealed(data_key, tampered, sealing.plan_context("t", "anna", "p1"))
    with pytest.raises(Unreadable):  # another owner's data key
        sealing.open_sealed(sealing.new_data_key(), blob, sealing.plan_context("t", "anna", "p1"))


def test_two_seals_of_one_text_differ() -> None:
    key = sealing.new_data_key()
    context = sealing.plan_context("t", "o", "p")
    assert sealing.seal(key, b"x", context) != sealing.seal(key, b"x", context)


def test_an_unknown_kek_is_unreadable_not_a_crash() -> None:
    keyring, _ = ring("k1")
    with pytest.raises(Unreadable):
        keyring.unwrap(Wrapped("gone", b"\0" * 60), b"ctx")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "at least one"),
        ("k1", "id:key"),
        ("k 1:AAAA", "id:key"),
        ("k1:not-base64!!", "base64"),
        ("k1:AAAA", "32 bytes"),
        (f"{Keyring.generate('k1')},{Keyring.generate('k1')}", "twice"),
    ],
    ids=["empty", "no-key", "space-in-id", "not-base64", "short-key", "same-id-twice"],
)
def test_a_bad_keyring_is_refused_with_the_reason_and_never_the_key(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        Keyring.parse(text)
    secret = text.partition(":")[2]
    assert not secret or secret[:20] not in str(caught.value)


def test_settings_refuse_a_development_kek_in_production() -> None:
    from spiegel_action_plan.settings import ActionPlanSettings

    common = {
        "mongodb_url": "mongodb://x",
        "kafka_bootstrap_servers": "x:1",
        "service_token_jwks": "https://x/jwks",
    }
    with pytest.raises(ValueError, match="development key"):
        ActionPlanSettings(
            spiegel_env="production", pop_key_encryption_keys=Keyring.generate("dev-1"), **common
        )
    settings = ActionPlanSettings(
        spiegel_env="production", pop_key_encryption_keys=Keyring.generate("kek-2027"), **common
    )
    assert settings.keyring().newest == "kek-2027"
    assert "kek-2027:" not in repr(settings)  # a secret in logs and tracebacks
