"""The roles the gateway puts in service tokens."""

OPERATOR = "operator"
TENANT_ADMIN = "tenant_admin"
COORDINATOR = "coordinator"
SPECIALIST = "specialist"
FACILITATOR = "facilitator"
RESPONDENT = "respondent"

ALL = (OPERATOR, TENANT_ADMIN, COORDINATOR, SPECIALIST, FACILITATOR, RESPONDENT)
# Staff of the hospital's medical staff office who run rounds.
COORDINATING = (TENANT_ADMIN, COORDINATOR)
