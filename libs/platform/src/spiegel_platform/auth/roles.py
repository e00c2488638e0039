"""The roles the gateway puts in service tokens."""

OPERATOR = "operator"
TENANT_ADMIN = "tenant_admin"
COORDINATOR = "coordinator"
SPECIALIST = "specialist"
FACILITATOR = "facilitator"
# The hospital's medical staff board (MSB / Coöperatie): it will follow the yearly progress of the
# groups' action plans (the action-plan service); it reads nothing else (no reports, respondents,
# rounds or personal plans), so no service admits it today.
BOARD = "board"
RESPONDENT = "respondent"

ALL = (OPERATOR, TENANT_ADMIN, COORDINATOR, SPECIALIST, FACILITATOR, BOARD, RESPONDENT)
# Staff of the hospital's medical staff office who run rounds.
COORDINATING = (TENANT_ADMIN, COORDINATOR)
