"""Demo data and simulations: development and test only, never in the image.

- `hospital`: the demo hospital and people who can sign in (`make run`);
- `rounds`: the demo rounds, made through the gateway as the demo coordinator;
- `survey`: open demo rounds with responses, made through the survey API;
- `simulation`: realistic event streams of rounds (the aggregation tests and benchmark).

No service imports this package (`tests/test_no_dev_code_in_services.py`).
"""
