"""schemathesis hooks for scripts/api-check.sh (loaded through schemathesis.toml).

Some request fields are valid only against server state: `data` must name a file that exists,
`experiment_id` / `experiment` an existing experiment, `provider` a configured provider, a
webhook URL a host that is public. No schema can express these, so before each call (in every
phase) a field that is given is steered to a value that exists on the server the script starts:
its data directory holds interviews.csv, it creates the experiment "api-check" (id in
PERSONA_CHECK_EXPERIMENT_ID) before the run (and this module again when the run deleted it),
and `local` is the provider that needs no key.
schemathesis revalidates a case a hook changed, so a negative case made valid counts as positive.
"""

import json
import os
import threading
import urllib.error
import urllib.request

import schemathesis

DATA = "interviews.csv"
WEBHOOK = "https://hooks.example.com/persona"
GENERATION = {"data": DATA, "provider": "local", "webhook_url": WEBHOOK}
EXPERIMENT_NAME = "api-check"
BASE = os.environ.get("PERSONA_CHECK_BASE_URL", "")
TOKEN = os.environ.get("PERSONA_CHECK_TOKEN", "")
experiment_id = os.environ.get("PERSONA_CHECK_EXPERIMENT_ID", "")
# Calls may come from several threads.
lock = threading.Lock()

# Per operation: the fields steered when given (present and not null).
STEERED = {
    ("POST", "/api/v1/generate"): GENERATION,
    ("POST", "/api/v1/experiments/{id}/generate"): GENERATION,
    ("POST", "/api/v1/experiments"): {},
}
# Experiment settings (the `config` object of a new experiment).
EXPERIMENT_CONFIG = {"provider": "local"}


def _call(method, path, body=None):
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def existing_experiment():
    """The id of the experiment "api-check", created again when the run deleted it."""
    global experiment_id
    with lock:
        try:
            _call("GET", f"/api/v1/experiments/{experiment_id}")
            return experiment_id
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
        try:
            experiment_id = _call("POST", "/api/v1/experiments", {"name": EXPERIMENT_NAME, "data_sources": [DATA]})["id"]
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise
            # The run created one by that name itself: use it.
            listed = _call("GET", "/api/v1/experiments?limit=100")
            experiment_id = next(e["id"] for e in listed if e["name"] == EXPERIMENT_NAME)
        return experiment_id


@schemathesis.hook
def before_call(context, case, kwargs):
    steered = STEERED.get((case.operation.method.upper(), case.operation.path))
    if steered is None or not isinstance(case.body, dict):
        return
    for field, value in steered.items():
        if case.body.get(field) is not None:
            case.body[field] = value
    if case.operation.path == "/api/v1/generate":
        if case.body.get("experiment_id") is not None:
            case.body["experiment_id"] = existing_experiment()
        if case.body.get("experiment") is not None:
            existing_experiment()
            case.body["experiment"] = EXPERIMENT_NAME
    if case.operation.path == "/api/v1/experiments":
        # An experiment without a data source needs `data` in every generate request of it.
        case.body["data_sources"] = [DATA]
    config = case.body.get("config")
    if case.operation.path == "/api/v1/experiments" and isinstance(config, dict):
        for field, value in EXPERIMENT_CONFIG.items():
            if config.get(field) is not None:
                config[field] = value
