"""Realistic event streams of rounds, as the survey, invitation and gateway services publish them.

Used by the tests, the benchmark and the demo data: the same envelopes as the
real producers (spiegel_platform.events.new_event), sent to the real broker.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel.invitation.v1 import events_pb2 as invitation
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_aggregation.instruments.model import InstrumentModel
from spiegel_aggregation.responses.model import Response
from spiegel_platform.events import OutgoingEvent, new_event

IFMS_GROUPS = [
    ("self", "Zelfevaluatie", "Self-evaluation", True),
    ("colleagues", "Collega-specialisten", "Colleague specialists", False),
    ("staff", "Medewerkers", "Staff", False),
    ("flex", "Verwijzers", "Referrers", False),
]
GM_GROUPS = [
    ("members", "Leden van de vakgroep", "Members of the group", True),
    ("colleagues", "Collega-specialisten", "Colleague specialists", False),
    ("staff", "Medewerkers", "Staff", False),
    ("managers", "Management", "Management", False),
]


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


@dataclass
class SimRound:
    tenant_id: str
    round_id: str
    instrument: InstrumentModel
    kind: int = survey.ROUND_KIND_IFMS
    subject_id: str = "spec-1"
    subject_name: str = "Dr. A. de Vries"
    member_ids: Sequence[str] = ()
    groups: Sequence[tuple[str, str, str, bool]] = field(default_factory=lambda: list(IFMS_GROUPS))
    responses: list[Response] = field(default_factory=list)
    invited: dict[str, int] = field(default_factory=dict)

    def opened(self) -> OutgoingEvent:
        now = datetime.now(UTC)
        return new_event(
            survey.RoundOpened(
                round_id=self.round_id,
                kind=self.kind,  # type: ignore[arg-type]
                subject=survey.Subject(
                    subject_id=self.subject_id,
                    display_name=self.subject_name,
                    member_ids=list(self.member_ids),
                ),
                instrument_id=self.instrument.id,
                instrument_version=self.instrument.version,
                opens_at=_stamp(now),
                closes_at=_stamp(now + timedelta(days=21)),
                respondent_groups=[
                    survey.RespondentGroup(code=c, label_nl=nl, label_en=en, is_self=s)
                    for c, nl, en, s in self.groups
                ],
                title=f"{'Groepsmonitor' if self.kind == survey.ROUND_KIND_GROUP_MONITOR else 'IFMS'} 2026 – "
                f"{self.subject_name}",
                min_group_size=4,
            ),
            tenant_id=self.tenant_id,
            producer="survey",
        )

    def assignments(self) -> list[OutgoingEvent]:
        found = []
        for group, count in self.invited.items():
            for _ in range(count):
                found.append(
                    new_event(
                        invitation.AssignmentIssued(
                            assignment_id=str(uuid.uuid4()),
                            round_id=self.round_id,
                            respondent_group=group,
                            token_hash=uuid.uuid4().hex * 2,
                            language="nl",
                        ),
                        tenant_id=self.tenant_id,
                        producer="invitation",
                    )
                )
        return found

    def response_event(self, response: Response) -> OutgoingEvent:
        answers = []
        for item_id, score in response.scores.items():
            answers.append(survey.Answer(item_id=item_id, score=score, text=response.texts.get(item_id, "")))
        for item_id in sorted(response.not_applicable):
            answers.append(survey.Answer(item_id=item_id, not_applicable=True))
        for item_id, text in response.texts.items():
            if item_id not in response.scores:
                answers.append(survey.Answer(item_id=item_id, text=text))
        return new_event(
            survey.ResponseRecorded(
                response_id=response.id,
                round_id=self.round_id,
                respondent_group=response.group,
                instrument_id=self.instrument.id,
                instrument_version=self.instrument.version,
                recorded_on=datetime.now(UTC).date().isoformat(),
                answers=answers,
                language="nl",
            ),
            tenant_id=self.tenant_id,
            producer="survey",
        )

    def closed(self) -> OutgoingEvent:
        counts: dict[str, int] = {}
        for response in self.responses:
            counts[response.group] = counts.get(response.group, 0) + 1
        return new_event(
            survey.RoundClosed(
                round_id=self.round_id,
                closed_at=_stamp(datetime.now(UTC)),
                reason=survey.RoundClosed.REASON_PERIOD_ENDED,
                completed_per_group=counts,
            ),
            tenant_id=self.tenant_id,
            producer="survey",
        )

    def all_events(self) -> list[OutgoingEvent]:
        return [
            self.opened(),
            *self.assignments(),
            *(self.response_event(r) for r in self.responses),
            self.closed(),
        ]


def tenant_configured(tenant_id: str, min_group_size: int = 4, revision: int = 1) -> OutgoingEvent:
    return new_event(
        gateway.TenantConfigured(
            tenant_id=tenant_id,
            slug=tenant_id,
            name=tenant_id,
            languages=["nl", "en"],
            time_zone="Europe/Amsterdam",
            min_group_size=min_group_size,
            revision=revision,
        ),
        tenant_id=tenant_id,
        producer="gateway",
    )


def random_responses(
    rng: random.Random,
    instrument: InstrumentModel,
    sizes: dict[str, int],
    *,
    not_applicable: float = 0.08,
    comment: float = 0.5,
) -> list[Response]:
    """Responses with a per-respondent tendency, some n.v.t. answers and some comments."""
    found = []
    open_ids = [q.id for q in instrument.open_questions]
    for group, size in sizes.items():
        for _ in range(size):
            tendency = rng.uniform(-1.2, 1.2)
            scores, nvt = {}, set()
            for item in instrument.scored_items:
                if rng.random() < not_applicable:
                    nvt.add(item.id)
                    continue
                centre = (item.scale_min + item.scale_max) / 2 + tendency * (
                    item.scale_max - item.scale_min
                ) / 4
                scores[item.id] = max(item.scale_min, min(item.scale_max, round(rng.gauss(centre, 0.8))))
            texts = {q: rng.choice(COMMENTS) for q in open_ids if rng.random() < comment}
            found.append(Response(str(uuid.uuid4()), group, scores, frozenset(nvt), texts))
    return found


COMMENTS = [
    "Altijd bereikbaar, ook in de avond.",
    "Neemt de tijd voor uitleg aan de patiënt.",
    "Zou vaker feedback mogen vragen aan het team.",
    "Prettige samenwerking op de polikliniek.",
    "Overdracht kan soms duidelijker.",
    "Goede sfeer in het team; durft kwetsbaar te zijn.",
    "Kan beter plannen bij drukte op de OK.",
]
