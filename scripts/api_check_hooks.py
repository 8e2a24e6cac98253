"""schemathesis hooks for scripts/api-check.sh (loaded through schemathesis.toml).

Some request fields are valid only against server state: `data` must name a file that exists,
`experiment_id` / `experiment` an existing experiment, `provider` a configured provider, a
webhook URL a host that is public. No schema can express these, so before each call (in every
phase) a field that is given is steered to a value that exists on the server the script starts:
its data directory holds interviews.csv, it creates the experiment "api-check" (id in
PERSONA_CHECK_EXPERIMENT_ID) before the run, and `local` is the provider that needs no key.
schemathesis revalidates a case a hook changed, so a negative case made valid counts as positive.
"""

import os

import schemathesis

DATA = "interviews.csv"
WEBHOOK = "https://hooks.example.com/persona"
GENERATION = {"data": DATA, "provider": "local", "webhook_url": WEBHOOK}
EXPERIMENT = {"experiment_id": os.environ.get("PERSONA_CHECK_EXPERIMENT_ID", ""), "experiment": "api-check"}

# Per operation: the fields steered when given (a string field keeps its type only if it is one).
STEERED = {
    ("POST", "/api/v1/generate"): {**GENERATION, **EXPERIMENT},
    ("POST", "/api/v1/experiments/{id}/generate"): GENERATION,
    ("POST", "/api/v1/experiments"): {},
}
# Experiment settings (the `config` object of a new experiment).
EXPERIMENT_CONFIG = {"provider": "local"}


@schemathesis.hook
def before_call(context, case, kwargs):
    steered = STEERED.get((case.operation.method.upper(), case.operation.path))
    if steered is None or not isinstance(case.body, dict):
        return
    for field, value in steered.items():
        if case.body.get(field) is not None:
            case.body[field] = value
    if case.operation.path == "/api/v1/experiments":
        # An experiment without a data source needs `data` in every generate request of it.
        case.body["data_sources"] = [DATA]
    config = case.body.get("config")
    if case.operation.path == "/api/v1/experiments" and isinstance(config, dict):
        for field, value in EXPERIMENT_CONFIG.items():
            if config.get(field) is not None:
                config[field] = value
