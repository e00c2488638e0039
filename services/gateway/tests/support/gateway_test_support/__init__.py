"""Stand-ins, run as real service processes, for service routes that do not exist yet.

The survey service's respondent endpoints and the aggregation service's report
reads are being built in parallel; until they land, these modules run the real
service (its real wiring, token verification and storage) with the missing
routes added. Once the real routes exist, the stand-in adds nothing.
"""
