"""Typed models of the persona API, generated from the server's /openapi.json.

Do not edit: run `python3 python/scripts/gen_models.py` (see docs/python.md).
Responses are plain dicts typed with these TypedDicts, so `job["status"]` works as in the API
reference.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict, Union


class AttemptView(TypedDict):
    "One HTTP attempt of a delivery."

    attempt_number: int
    trigger: Trigger
    started_at: str
    duration_ms: int
    status_code: NotRequired[Union[int, None]]
    error: NotRequired[Union[str, None]]
    response_body: NotRequired[Union[str, None]]


class BlankRows(TypedDict):
    "BlankRows"

    file: str
    rows: int
    reason: str


class CharacterCard(TypedDict):
    "A role-play card for an LLM persona simulator. Field order is the JSON/YAML key order."

    id: str
    identity: Identity
    psychological_profile: PsychologicalProfile
    communication_style: CommunicationStyle
    knowledge_boundaries: KnowledgeBoundaries
    guidelines: Guidelines
    provenance: Provenance


class CommunicationStyle(TypedDict):
    "CommunicationStyle"

    tone: str
    vocabulary_level: str
    speech_patterns: list[str]


class CreateExperimentBody(TypedDict):
    "The body of `POST /api/v1/experiments`, for the OpenAPI document: derived from the types whose limits `service::experiments::check_new` reads the body with."

    name: str
    description: NotRequired[Union[str, None]]
    data_sources: NotRequired[Union[list[str], None]]
    config: NotRequired[Union[dict[str, Any], None]]


class CreateWebhookBody(TypedDict):
    "The body of `POST /api/v1/webhooks`, for the OpenAPI document: derived from the types whose limits [`NewWebhook::read`] checks (unknown fields are refused)."

    url: str
    events: NotRequired[Union[list[Literal["generation.started", "generation.completed", "generation.failed", "generation.cancelled"]], None]]
    secret: NotRequired[Union[str, None]]


class DatasetDeleted(TypedDict):
    "The answer to deleting a dataset."

    success: bool
    message: str


class DatasetView(TypedDict):
    "An uploaded dataset."

    dataset_id: str
    filename: str
    format: str
    bytes: int
    sha256: str
    participants: int
    utterances: int
    created_at: str


class Deleted(TypedDict):
    "The answer to a deletion."

    success: bool
    message: str


class DeletedCounts(TypedDict):
    "DeletedCounts"

    jobs: int
    runs: int
    personas: int
    output_folders: int


class DeliveryDetailView(TypedDict):
    "A delivery with the body it sends and every attempt, oldest first."

    delivery_id: str
    webhook_id: NotRequired[Union[str, None]]
    job_id: NotRequired[Union[str, None]]
    event: str
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: NotRequired[Union[str, None]]
    last_status_code: NotRequired[Union[int, None]]
    last_error: NotRequired[Union[str, None]]
    created_at: str
    delivered_at: NotRequired[Union[str, None]]
    updated_at: str
    payload: dict[str, Any]
    attempt_history: list[AttemptView]


DeliveryStatus: TypeAlias = "Literal[\"pending\", \"delivering\", \"delivered\", \"failed\"]"
"`webhook_deliveries.status`."


class DeliveryView(TypedDict):
    "One delivery of the outbox: an event for one URL, retried until delivered or dead-lettered."

    delivery_id: str
    webhook_id: NotRequired[Union[str, None]]
    job_id: NotRequired[Union[str, None]]
    event: str
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: NotRequired[Union[str, None]]
    last_status_code: NotRequired[Union[int, None]]
    last_error: NotRequired[Union[str, None]]
    created_at: str
    delivered_at: NotRequired[Union[str, None]]
    updated_at: str


class DimensionScore(TypedDict):
    "One dimension of a persona's quality. Scores are 0\u2013100, rounded to 2 decimals."

    score: float
    weight: float
    weighted_contribution: float
    issues: list[str]
    details: dict[str, Any]


class ErrorBody(TypedDict):
    "The body of every error response."

    success: bool
    error: ErrorCode
    message: str
    details: dict[str, Any]


ErrorCode: TypeAlias = "Literal[\"invalid_input\", \"unauthorised\", \"not_found\", \"method_not_allowed\", \"conflict\", \"payload_too_large\", \"unsupported_media_type\", \"request_timeout\", \"headers_too_large\", \"validation_error\", \"privacy_audit_failed\", \"rate_limited\", \"internal_error\", \"unavailable\"]"
"The error codes of the envelope, each with one HTTP status."


class Evidence(TypedDict):
    "One piece of source text supporting one claim of a persona."

    field: EvidenceField
    index: int
    participant_id: str
    source: str
    location: str
    question: NotRequired[Union[str, None]]
    excerpt: str


EvidenceField: TypeAlias = "Literal[\"goals\", \"pain_points\", \"behaviours\", \"motivations\", \"quotes\"]"
"Which list of a persona an evidence entry supports."


class ExperimentDeleted(TypedDict):
    "The answer to deleting an experiment."

    success: bool
    message: str
    deleted: DeletedCounts


class ExperimentDetail(TypedDict):
    "An experiment with a summary of each of its runs, newest first."

    id: str
    name: str
    description: NotRequired[Union[str, None]]
    data_sources: list[str]
    config: dict[str, Any]
    status: str
    run_count: int
    last_run_at: NotRequired[Union[str, None]]
    created_at: str
    updated_at: str
    runs: list[RunSummaryView]


ExperimentOverrides: TypeAlias = "Any"
"Overrides of the experiment's settings (optional): `data`, `count` (or `persona_count`), `provider`, `model`, `seed`, `config` (merged over the experiment's options) and `webhook_url`."


class ExperimentView(TypedDict):
    "An experiment with its run count and status."

    id: str
    name: str
    description: NotRequired[Union[str, None]]
    data_sources: list[str]
    config: dict[str, Any]
    status: str
    run_count: int
    last_run_at: NotRequired[Union[str, None]]
    created_at: str
    updated_at: str


class GenerateBody(TypedDict):
    "The body of `POST /api/v1/generate`: what the parser reads, and (derived from the same types) what the OpenAPI document shows. `null` counts as absent."

    data: str
    count: NotRequired[Union[int, None]]
    provider: NotRequired[Union[Literal["local", "openai", "anthropic", "gemini", "ollama"], None]]
    model: NotRequired[Union[str, None]]
    config: NotRequired[Union[dict[str, Any], None]]
    webhook_url: NotRequired[Union[str, None]]
    seed: NotRequired[Union[int, None]]
    experiment_id: NotRequired[Union[str, None]]
    experiment: NotRequired[Union[str, None]]


class Guidelines(TypedDict):
    "Guidelines"

    response_style: str
    uncertainty_handling: str
    character_maintenance: str
    additional_rules: list[str]


class Health(TypedDict):
    "The service is up and its database answers."

    status: str
    version: str
    timestamp: str


class Identity(TypedDict):
    "Identity"

    name: str
    title: str
    demographics_summary: str


class InlineQualityRequest(TypedDict):
    "Personas given inline, scored together as one run."

    personas: list[PersonaInput]
    persona_id: NotRequired[None]
    run_id: NotRequired[None]
    preset: NotRequired[Union[Literal["default", "strict", "lenient"], None]]


class InlineScriptRequest(TypedDict):
    "A script of a persona given inline."

    persona: PersonaInput
    persona_id: NotRequired[None]
    format: NotRequired[Union[Literal["character_card", "system_prompt", "template"], None]]
    yaml: NotRequired[Union[bool, None]]
    max_leakage_score: NotRequired[Union[float, None]]
    template: NotRequired[Union[str, None]]


class InspectBody(TypedDict):
    "Who to take for interviewers when inspecting (optional body)."

    interviewers: NotRequired[list[str]]


class InspectedParticipant(TypedDict):
    "InspectedParticipant"

    id: str
    utterances: int
    files: list[str]
    attributes: dict[str, str]


class InspectionView(TypedDict):
    "What ingestion makes of a dataset (see docs/ingest.md)."

    files: list[SourceFile]
    participants: list[InspectedParticipant]
    non_participants: list[NonParticipant]
    label_merges: list[LabelMerge]
    blank_respondents: int
    blank_rows: list[BlankRows]
    skipped_columns: list[SkippedColumn]
    staff_lines: int
    markup_reduced: int
    skipped_files: list[SkippedFile]
    warnings: list[str]


class JobCreated(TypedDict):
    "The answer to `POST /api/v1/generate`."

    job_id: str
    status: JobStatus
    message: str
    status_url: str
    experiment_id: str


class JobResult(TypedDict):
    "The result of a completed job."

    personas: NotRequired[Union[list[Persona], None]]
    personas_count: int
    experiment_id: str
    run_id: str
    output_path: NotRequired[Union[str, None]]


JobStatus: TypeAlias = "Literal[\"pending\", \"running\", \"completed\", \"failed\", \"cancelled\"]"
"A job's state: `pending` \u2192 `running` \u2192 `completed` | `failed` | `cancelled`."


class JobView(TypedDict):
    "A generation job."

    job_id: str
    status: JobStatus
    progress: int
    created_at: str
    started_at: NotRequired[Union[str, None]]
    completed_at: NotRequired[Union[str, None]]
    error: NotRequired[Union[str, None]]
    result: NotRequired[Union[JobResult, None]]
    experiment_id: str
    run_id: NotRequired[Union[str, None]]
    attempts: int
    data: str
    provider: str
    model: NotRequired[Union[str, None]]
    count: int
    cancel_requested: bool


class KnowledgeBoundaries(TypedDict):
    "KnowledgeBoundaries"

    knows: list[str]
    doesnt_know: list[str]
    can_infer: list[str]


class LabelMerge(TypedDict):
    "Speaker labels taken for one participant."

    id: str
    merged: list[str]


class Leakage(TypedDict):
    "One finding of the audit."

    type: str
    content: str
    source: str
    found_in: str
    similarity: float
    severity: Severity


class NonParticipant(TypedDict):
    "A speaker (in one file) whose lines were left out."

    file: str
    speaker: str
    role: str
    lines: int
    reason: str


class Persona(TypedDict):
    "A persona: one segment of the participants, every claim backed by verbatim evidence."

    id: str
    name: str
    title: str
    summary: str
    demographics: NotRequired[dict[str, str]]
    goals: NotRequired[list[str]]
    pain_points: NotRequired[list[str]]
    behaviours: NotRequired[list[str]]
    motivations: NotRequired[list[str]]
    quotes: NotRequired[list[str]]
    participants: NotRequired[list[str]]
    segment_size: NotRequired[int]
    evidence: NotRequired[list[Evidence]]
    provider: str
    model: str
    experiment_id: NotRequired[Union[str, None]]
    run_id: NotRequired[Union[str, None]]
    created_at: NotRequired[Union[str, None]]
    quality: NotRequired[Union[dict[str, Any], None]]


class PersonaInput(TypedDict):
    "A persona given inline (API body or file); converts into [`Persona`]."

    id: NotRequired[str]
    name: NotRequired[str]
    title: NotRequired[str]
    summary: NotRequired[str]
    demographics: NotRequired[Union[dict[str, Union[Union[str, float, bool, None], list[Union[str, float, bool, None]]]], None]]
    goals: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    pain_points: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    behaviours: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    motivations: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    quotes: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    participants: NotRequired[Union[list[Union[str, float, bool, None]], Union[str, None]]]
    segment_size: NotRequired[Union[int, None]]
    evidence: NotRequired[Union[list[Evidence], None]]
    provider: NotRequired[Union[str, None]]
    model: NotRequired[Union[str, None]]
    experiment_id: NotRequired[Union[str, None]]
    run_id: NotRequired[Union[str, None]]
    created_at: NotRequired[Union[str, None]]
    quality: NotRequired[Union[dict[str, Any], None]]


class PersonaQualityRequest(TypedDict):
    "A stored persona, scored against the other personas of its run."

    persona_id: str
    personas: NotRequired[None]
    run_id: NotRequired[None]
    preset: NotRequired[Union[Literal["default", "strict", "lenient"], None]]


class PrivacyAudit(TypedDict):
    "The audit's verdict. When `passed` is false the script is not returned."

    passed: bool
    leakage_score: float
    threshold: float
    leakages: list[Leakage]
    details: str


class Provenance(TypedDict):
    "Marks the card as synthetic and names what produced it. No timestamp, so that the same persona gives a byte-identical script."

    synthetic_marker: str
    generator_version: str
    source_persona_id: str


class ProviderList(TypedDict):
    "Every provider the server knows, in a fixed order (`local` first)."

    default_provider: str
    providers: list[ProviderStatus]


class ProviderStatus(TypedDict):
    "One provider as listed by `GET /api/v1/providers`: never a key, only whether one is set."

    name: str
    configured: bool
    default_model: str
    base_url: NotRequired[Union[str, None]]
    missing: NotRequired[Union[str, None]]


class PsychologicalProfile(TypedDict):
    "PsychologicalProfile"

    goals: list[str]
    motivations: list[str]
    pain_points: list[str]
    personality_traits: list[str]
    flaws: list[str]


QualityLevel: TypeAlias = "Literal[\"excellent\", \"good\", \"acceptable\", \"poor\", \"failing\"]"
"Quality level of an overall score."


QualityRequest: TypeAlias = "Union[InlineQualityRequest, PersonaQualityRequest, RunQualityRequest]"
"The body of `POST /api/v1/quality`: exactly one source (personas given inline, one stored persona scored against the other personas of its run, or every persona of a stored run) and an optional preset. Its schema is the `oneOf` of the three variants, so that a body the schema allows has the shape the server reads."


class QualityResponse(TypedDict):
    "The scores, and the preset they were computed with."

    preset: str
    run: RunQuality


class QualityScore(TypedDict):
    "The quality of one persona: the weighted overall score, its level and each dimension."

    persona_id: str
    persona_name: str
    overall_score: float
    level: QualityLevel
    dimensions: dict[str, DimensionScore]


class Ready(TypedDict):
    "The service can take work."

    status: str
    checks: ReadyChecks


class ReadyChecks(TypedDict):
    "Each readiness check: `ok`, or what is wrong."

    database: str
    migrations: str
    worker: str


class RootInfo(TypedDict):
    "API information."

    name: str
    version: str
    docs: str
    redoc: str
    openapi: str
    health: str


class RunDetailView(TypedDict):
    "Everything recorded about one run, with its personas."

    run_id: str
    job_id: NotRequired[Union[str, None]]
    status: RunStatus
    provider: str
    model: NotRequired[Union[str, None]]
    personas_count: int
    started_at: NotRequired[Union[str, None]]
    completed_at: NotRequired[Union[str, None]]
    duration_ms: NotRequired[Union[int, None]]
    error: NotRequired[Union[str, None]]
    experiment_id: str
    config: dict[str, Any]
    source_files: list[dict[str, Any]]
    skipped_files: list[dict[str, Any]]
    warnings: list[str]
    usage: UsageView
    output_path: NotRequired[Union[str, None]]
    metadata: dict[str, Any]
    personas: list[Persona]


class RunQuality(TypedDict):
    "The quality of a run's personas, with averages and the pairwise similarity matrix."

    persona_count: int
    average_score: float
    average_by_dimension: dict[str, float]
    passing_count: int
    failing_count: int
    distinctiveness_matrix: list[list[float]]
    scores: list[QualityScore]


class RunQualityRequest(TypedDict):
    "Every persona of a stored run."

    run_id: str
    personas: NotRequired[None]
    persona_id: NotRequired[None]
    preset: NotRequired[Union[Literal["default", "strict", "lenient"], None]]


RunStatus: TypeAlias = "Literal[\"running\", \"completed\", \"failed\", \"cancelled\"]"


class RunSummaryView(TypedDict):
    "One run, summarised (experiment views and run lists)."

    run_id: str
    job_id: NotRequired[Union[str, None]]
    status: RunStatus
    provider: str
    model: NotRequired[Union[str, None]]
    personas_count: int
    started_at: NotRequired[Union[str, None]]
    completed_at: NotRequired[Union[str, None]]
    duration_ms: NotRequired[Union[int, None]]
    error: NotRequired[Union[str, None]]


ScriptFormat: TypeAlias = "Literal[\"character_card\", \"system_prompt\", \"template\"]"
"What `output` holds."


ScriptRequest: TypeAlias = "Union[StoredScriptRequest, InlineScriptRequest]"
"The body of `POST /api/v1/scripts`: a stored persona or one given inline (exactly one), and the options. Its schema is the `oneOf` of the two variants, so that a body the schema allows has the shape the server reads."


class ScriptResult(TypedDict):
    "A generated script."

    script_id: str
    format: ScriptFormat
    output: str
    character_card: CharacterCard
    privacy_audit: PrivacyAudit


class ServerSentEvent(TypedDict):
    "One event of the stream; written as its `id:`, `event:` and `data:` lines."

    id: NotRequired[Union[str, None]]
    event: str
    data: str


Severity: TypeAlias = "Literal[\"high\", \"medium\"]"
"How bad a finding is; weights the leakage score."


class SkippedColumn(TypedDict):
    "SkippedColumn"

    file: str
    column: str
    reason: str


class SkippedFile(TypedDict):
    "A file that could not be used, and why."

    path: str
    reason: str


class SourceFile(TypedDict):
    "A file that was read into the corpus."

    path: str
    format: str
    bytes: int
    sha256: str
    participants: int
    utterances: int


class StoredScriptRequest(TypedDict):
    "A script of a stored persona."

    persona_id: str
    persona: NotRequired[None]
    format: NotRequired[Union[Literal["character_card", "system_prompt", "template"], None]]
    yaml: NotRequired[Union[bool, None]]
    max_leakage_score: NotRequired[Union[float, None]]
    template: NotRequired[Union[str, None]]


Trigger: TypeAlias = "Literal[\"scheduled\", \"manual\"]"
"What started an attempt: the schedule, or an operator's redelivery."


class UploadForm(TypedDict):
    "A multipart upload (documentation schema: the parts are streamed to disk as they arrive, so no typed reader of the whole form exists). Other parts are read and ignored; the document allows none, as actix-multipart cannot read every part name a schema could allow."

    file: str


class UsageView(TypedDict):
    "Token usage of a run."

    input_tokens: int
    output_tokens: int


class WebhookView(TypedDict):
    "A registered webhook. The secret is never shown: `has_secret` says whether there is one."

    webhook_id: str
    url: str
    events: list[str]
    has_secret: bool
    active: bool
    disabled_reason: NotRequired[Union[str, None]]
    created_at: str
    updated_at: str
