"""The workspace in a real Chromium: upload, generate, follow, read personas and their evidence,
print, the token prompt, errors next to fields, webhooks, and an axe-core scan of every page at
desktop and phone width (screenshots of each under tests/browser/screenshots/)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import DESKTOP, PHONE, ROOT, SCREENSHOTS, axe_violations, screenshot

EXAMPLES = ROOT / "examples"


def drop_files(page, selector, paths):
    """Drops files on an element the way a drag from the desktop does (a DataTransfer of Files)."""
    files = [{"name": p.name, "text": p.read_text()} for p in paths]
    page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const f of files) transfer.items.add(new File([f.text], f.name, {type: 'text/plain'}));
            const target = document.querySelector(selector);
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
            }
        }""",
        [selector, files],
    )


@pytest.fixture(scope="module")
def generated(server, browser):
    """Uploads the examples through the page, starts a job and watches it reach 100 %."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url("/ui/"))
    drop_files(page, "#dropzone", [EXAMPLES / "interviews.csv", EXAMPLES / "transcript-p16.md"])
    expect(page.locator("#uploads input[type=radio]")).to_have_count(2)
    page.get_by_label(re.compile(r"^interviews\.csv")).check()
    dataset = page.locator("#data").input_value()
    assert dataset.startswith("dataset-")
    page.fill("#count", "3")
    page.fill("#seed", "7")
    screenshot(page, "generate-desktop")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/jobs/job-[0-9a-f]+$"))
    job_id = page.url.rsplit("/", 1)[1]
    # The page follows the job's event stream until it ends and the personas appear.
    expect(page.locator("#job[data-status=completed]")).to_be_visible(timeout=60_000)
    assert page.locator("#job-progress").evaluate("bar => bar.value") == 100
    expect(page.locator("#job-percent")).to_have_text("100 %")
    expect(page.locator(".persona-card")).to_have_count(3)
    screenshot(page, "job-desktop")
    job = server.api("GET", f"/api/v1/generate/{job_id}")
    context.close()
    return {"job": job, "dataset": dataset}


def test_a_job_started_from_uploaded_files_reaches_100_percent(server, generated):
    job = generated["job"]
    assert job["status"] == "completed" and job["progress"] == 100
    assert job["data"] == generated["dataset"]
    assert job["result"]["personas_count"] == 3


def test_a_claim_opens_its_evidence_and_the_persona_page_prints_on_one_page(server, generated, page):
    job = generated["job"]
    page.goto(server.url(f"/ui/experiments/{job['experiment_id']}/runs/{job['run_id']}"))
    card = page.locator(".persona-card").first
    claim = card.locator("details.claim").first
    claim.locator("summary").click()
    excerpt = claim.locator("blockquote.excerpt").first
    expect(excerpt).to_be_visible()
    expect(claim.locator(".evidence-meta")).not_to_have_count(0)
    expect(claim).to_contain_text("Participant")
    expect(claim).to_contain_text("interviews.csv")
    screenshot(page, "run-desktop")

    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/ui/personas/persona-"))
    expect(page.locator(".quality-chart svg")).to_be_visible()
    full_claim = page.locator(".persona-card details.claim").first
    full_claim.locator("summary").click()
    expect(full_claim.locator("blockquote.excerpt").first).to_be_visible()
    script = page.locator("details.script").first
    script.locator("summary").click()
    expect(script.locator("pre")).not_to_have_text("Loading…")
    assert len(script.locator("pre").inner_text()) > 100
    screenshot(page, "persona-desktop")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download persona.json").click()
    assert download.value.suggested_filename == "persona.json"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download persona.md").click()
    assert download.value.suggested_filename == "persona.md"

    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".scripts")).to_be_hidden()
    screenshot(page, "persona-print")
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=False)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == 1, f"{paper}: the persona prints on {pages} pages"
    (SCREENSHOTS / "persona-print.pdf").write_bytes(page.pdf(format="A4"))


def test_experiments_search_history_and_comparison(server, generated, page):
    job = generated["job"]
    # A second run of the same data, to compare with the first.
    again = server.api("POST", "/api/v1/generate",
                       {"data": job["data"], "count": 3, "experiment_id": job["experiment_id"]})
    server.wait_for_job(again["job_id"])
    page.goto(server.url("/ui/experiments"))
    page.fill("#experiment-search", "no-such-experiment")
    page.click("form[role=search] button")
    expect(page.locator("#view")).to_contain_text("No experiment matches")
    page.fill("#experiment-search", job["data"][:12])
    page.click("form[role=search] button")
    page.get_by_role("link", name=job["data"]).click()
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.locator(".trend svg")).to_be_visible()
    screenshot(page, "experiment-desktop")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/ui/compare\?"))
    expect(page.locator("#view")).to_contain_text("persist")
    screenshot(page, "compare-desktop")


def test_api_errors_are_shown_next_to_their_field(server, page):
    page.goto(server.url("/ui/"))
    page.fill("#data", "no-such-file.csv")
    page.click("button[type=submit]")
    expect(page.locator("#data-error")).to_contain_text("no-such-file.csv")
    expect(page.locator("#data")).to_have_attribute("aria-invalid", "true")
    page.fill("#data", "interviews.csv")
    page.fill("#count", "50")
    page.click("button[type=submit]")
    expect(page.locator("#count-error")).to_contain_text("between 1 and 20")
    expect(page.locator("#data-error")).to_be_empty()
    screenshot(page, "generate-errors-desktop")


def test_jobs_are_filtered_by_status_and_a_failed_one_retried(server, generated, page):
    page.goto(server.url("/ui/jobs?status=cancelled"))
    expect(page.locator("#jobs-table")).to_contain_text("No jobs with this status")
    page.select_option("#status-filter", "completed")
    page.wait_for_url(re.compile(r"status=completed"))
    expect(page.locator("#jobs-table tbody tr").first).to_contain_text("completed")
    screenshot(page, "jobs-desktop")

    # A file with a header and no answers exists (so the job is accepted) but fails when read.
    (server.dir / "empty.csv").write_text("participant_id,response\n")
    failing = server.api("POST", "/api/v1/generate", {"data": "empty.csv", "count": 2})
    assert server.wait_for_job(failing["job_id"])["status"] == "failed"
    page.select_option("#status-filter", "failed")
    page.wait_for_url(re.compile(r"status=failed"))
    row = page.locator("#jobs-table tbody tr", has_text=failing["job_id"])
    row.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r"/ui/jobs/job-[0-9a-f]+$"))
    retried = page.url.rsplit("/", 1)[1]
    assert retried != failing["job_id"]
    job = server.wait_for_job(retried)
    assert (job["data"], job["count"], job["experiment_id"]) == ("empty.csv", 2, failing["experiment_id"])
    expect(page.locator("#job[data-status=failed] .error-box")).to_be_visible()


def test_webhook_test_ping_and_redelivery(server, receiver, page):
    page.goto(server.url("/ui/webhooks"))
    page.fill("#webhook-url", "ftp://not-a-webhook")
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("#url-error")).not_to_be_empty()
    page.fill("#webhook-url", receiver.url)
    page.click("#webhook-form button[type=submit]")
    expect(page.locator("section.webhook")).to_have_count(1)
    page.get_by_role("button", name="Send test ping").click()
    expect(page.locator("section.webhook tbody tr")).to_have_count(1)
    for _ in range(50):
        if receiver.bodies:
            break
        page.wait_for_timeout(100)
    assert receiver.bodies, "the test ping never arrived"
    page.reload()
    page.get_by_role("button", name="Redeliver").first.click()
    expect(page.locator("#toast")).to_contain_text("queued again")
    screenshot(page, "webhooks-desktop")


def test_the_token_prompt_guards_every_read(token_server, page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(token_server.url("/ui/jobs"))
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "token-desktop")
    page.fill("#token-input", "wrong-token")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-reason")).to_contain_text("not accepted")
    page.fill("#token-input", "browser-test-token")
    page.click("#token-form button[type=submit]")
    expect(dialog).to_be_hidden()
    expect(page.locator("#view")).to_contain_text("No jobs")
    # Asked once per tab: another page loads without a prompt.
    page.goto(token_server.url("/ui/experiments"))
    expect(page.locator("#view")).to_contain_text("No experiments yet")
    expect(dialog).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('persona.apiToken')") == "browser-test-token"
    assert not [url for url in requests if "token" in url.lower()], requests


def test_without_the_token_nothing_is_shown(token_server, page):
    page.goto(token_server.url("/ui/experiments"))
    expect(page.locator("#token-dialog")).to_be_visible()
    page.click("#token-cancel")
    expect(page.locator("#view .error-box")).to_contain_text("needs the API token")
    expect(page.locator("#view table")).to_have_count(0)


PAGES = ["/ui/", "/ui/jobs", "/ui/experiments", "/ui/webhooks"]


@pytest.mark.parametrize("viewport_name", ["desktop", "phone"])
def test_every_page_passes_axe_at_desktop_and_phone_width(server, generated, browser, viewport_name):
    job = generated["job"]
    persona_id = server.api("GET", f"/api/v1/generate/{job['job_id']}")["result"]["personas"][0]["id"]
    pages = {
        "generate": "/ui/",
        "jobs": "/ui/jobs",
        "job": f"/ui/jobs/{job['job_id']}",
        "experiments": "/ui/experiments",
        "experiment": f"/ui/experiments/{job['experiment_id']}",
        "run": f"/ui/experiments/{job['experiment_id']}/runs/{job['run_id']}",
        "persona": f"/ui/personas/{persona_id}",
        "webhooks": "/ui/webhooks",
    }
    failures = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=DESKTOP if viewport_name == "desktop" else PHONE,
                                      color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        for name, path in pages.items():
            page.goto(server.url(path))
            expect(page.locator("#view")).to_have_attribute("aria-busy", "false")
            # Open one claim so that the evidence markup is scanned too.
            claim = page.locator("details.claim").first
            if claim.count():
                claim.locator("summary").click()
                expect(claim.locator("blockquote.excerpt").first).to_be_visible()
            violations = axe_violations(page)
            if violations:
                failures[f"{name} ({scheme})"] = violations
            if scheme == "light" or name in ("persona", "run"):
                suffix = viewport_name if scheme == "light" else f"{viewport_name}-dark"
                screenshot(page, f"{name}-{suffix}")
                if name in ("job", "run", "persona"):
                    page.evaluate("window.scrollTo(0, 0)")
                    screenshot(page, f"{name}-{suffix}-top", full_page=False)
            if viewport_name == "phone":
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, f"{name}: the page is {overflow}px wider than a phone"
        context.close()
    assert not failures, failures


def test_the_page_weight_stays_under_150_kb(server, generated, page):
    job = generated["job"]
    sizes = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body()) if r.ok else 0))
    page.goto(server.url(f"/ui/experiments/{job['experiment_id']}/runs/{job['run_id']}"))
    expect(page.locator(".persona-card")).to_have_count(3)
    total = sum(sizes.values())
    assert total < 150 * 1024, sizes
