// Persona workspace: loads each page's server-rendered fragment with the API token (kept in
// sessionStorage for this tab, sent only as a bearer header), and runs the page's actions
// against the JSON API. No framework, no build step.
'use strict';
(() => {
  const TOKEN_KEY = 'persona.apiToken';
  const TERMINAL = ['completed', 'failed', 'cancelled'];
  const $ = (selector, root = document) => root.querySelector(selector);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

  // ---- the token prompt -------------------------------------------------------------------
  let prompt = null;

  /** Asks for the token; resolves once one is saved, rejects when the user cancels. */
  function askToken(reason) {
    if (prompt) return prompt;
    const dialog = $('#token-dialog');
    const input = $('#token-input');
    $('#token-reason').textContent = reason ||
      'This server asks for its API token. It is kept for this browser tab only and sent as a bearer header.';
    input.value = '';
    prompt = new Promise((resolve, reject) => {
      const finish = (saved) => {
        $('#token-form').onsubmit = null;
        dialog.oncancel = null;
        if (dialog.open) dialog.close();
        prompt = null;
        if (saved) resolve(); else reject(new Error('This needs the API token.'));
      };
      $('#token-form').onsubmit = (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) return;
        sessionStorage.setItem(TOKEN_KEY, value);
        finish(true);
      };
      $('#token-cancel').onclick = () => finish(false);
      $('#token-forget').onclick = () => {
        sessionStorage.removeItem(TOKEN_KEY);
        finish(false);
        loadView();
      };
      dialog.oncancel = (event) => { event.preventDefault(); finish(false); };
    });
    dialog.showModal();
    input.focus();
    return prompt;
  }

  // ---- talking to the server --------------------------------------------------------------
  /** fetch with the bearer token; on 401 asks for the token and tries again. */
  async function api(path, options = {}) {
    for (;;) {
      const headers = new Headers(options.headers || {});
      const token = storedToken();
      if (token) headers.set('Authorization', `Bearer ${token}`);
      const response = await fetch(path, { ...options, headers, cache: 'no-store', credentials: 'same-origin' });
      if (response.status !== 401) return response;
      if (token) sessionStorage.removeItem(TOKEN_KEY);
      await askToken(token ? 'That token was not accepted. Enter the API token.' : undefined);
    }
  }

  /** The error envelope of a failed response: {error, message, details}. */
  async function failure(response) {
    try {
      const body = await response.json();
      return { error: body.error, message: body.message || response.statusText, details: body.details || {} };
    } catch {
      return { error: 'http_' + response.status, message: `The server answered ${response.status}.`, details: {} };
    }
  }

  async function postJson(path, body) {
    return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  function say(message, isError = false) {
    let toast = $('#toast');
    if (!toast) {
      toast = document.createElement('p');
      toast.id = 'toast';
      toast.setAttribute('role', 'status');
      $('#main').append(toast);
    }
    toast.className = isError ? 'error-box' : 'hint';
    toast.textContent = message;
  }

  // ---- fragments --------------------------------------------------------------------------
  const view = () => $('#view');
  let liveTimer = null;

  async function fetchFragment() {
    const response = await api(view().dataset.fragment, { headers: { Accept: 'text/html' } });
    if (!response.ok) throw await failure(response);
    return response.text();
  }

  async function loadView() {
    const target = view();
    if (!target) return;
    target.setAttribute('aria-busy', 'true');
    try {
      target.innerHTML = await fetchFragment();
      enhance(target);
    } catch (problem) {
      const box = document.createElement('div');
      box.className = 'error-box';
      box.setAttribute('role', 'alert');
      box.textContent = problem.message || String(problem);
      target.replaceChildren(box);
      if (problem.message === 'This needs the API token.') {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Enter the API token';
        button.addEventListener('click', () => askToken().then(loadView, () => {}));
        box.append(' ', button);
      }
    } finally {
      target.setAttribute('aria-busy', 'false');
    }
  }

  /** Parts marked data-live are fetched again every 2 s (while the tab is visible). */
  function scheduleLive(root) {
    clearTimeout(liveTimer);
    if (!root.querySelector('[data-live]')) return;
    liveTimer = setTimeout(async () => {
      if (!document.hidden) {
        try {
          const template = document.createElement('template');
          template.innerHTML = await fetchFragment();
          for (const part of root.querySelectorAll('[data-live]')) {
            const fresh = template.content.getElementById(part.id);
            if (fresh) part.replaceWith(fresh);
          }
        } catch { /* try again at the next tick */ }
      }
      scheduleLive(root);
    }, 2000);
  }

  function enhance(root) {
    const dropzone = $('[data-dropzone]', root);
    if (dropzone) setUpUploads(dropzone);
    const job = $('#job[data-job]', root);
    if (job && !TERMINAL.includes(job.dataset.status)) followJob(job.dataset.job);
    scheduleLive(root);
  }

  // ---- following a job (the API's event stream, read with fetch so the token stays a header)
  const following = new Set();

  async function followJob(jobId) {
    if (following.has(jobId)) return;
    following.add(jobId);
    let lastEventId = null;
    try {
      for (let attempt = 0; attempt < 30; attempt++) {
        const headers = { Accept: 'text/event-stream' };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const response = await api(`/api/v1/generate/${encodeURIComponent(jobId)}/events`, { headers });
        if (!response.ok || !response.body) { await sleep(2000); await loadView(); continue; }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = parseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (!event) continue;
            if (event.id) lastEventId = event.id;
            showProgress(JSON.parse(event.data));
            if (TERMINAL.includes(event.name)) { await loadView(); return; }
          }
        }
        await sleep(1000);
      }
    } catch { /* the page shows the last state; a reload follows again */ } finally {
      following.delete(jobId);
    }
  }

  function parseEvent(raw) {
    const event = { id: null, name: 'message', data: '' };
    for (const line of raw.split('\n')) {
      if (line.startsWith('id:')) event.id = line.slice(3).trim();
      else if (line.startsWith('event:')) event.name = line.slice(6).trim();
      else if (line.startsWith('data:')) event.data += line.slice(5).trim();
    }
    return event.data ? event : null;
  }

  /** Moves the bar at once; the stage and status come with the refreshed fragment. */
  function showProgress(job) {
    const bar = $('#job-progress');
    if (bar) bar.value = job.progress;
    const percent = $('#job-percent');
    if (percent) percent.textContent = `${job.progress} %`;
    if (!TERMINAL.includes(job.status)) {
      fetchFragment().then((html) => {
        const template = document.createElement('template');
        template.innerHTML = html;
        for (const id of ['job-stage', 'job-status']) {
          const fresh = template.content.getElementById(id);
          const old = document.getElementById(id);
          if (fresh && old) old.replaceWith(fresh);
        }
        const actions = $('#job .actions');
        const freshActions = template.content.querySelector('#job .actions');
        if (actions && freshActions && !actions.contains(document.activeElement)) actions.replaceWith(freshActions);
      }, () => {});
    }
  }

  // ---- starting a generation --------------------------------------------------------------
  function setUpUploads(dropzone) {
    const input = $('#files', dropzone);
    input.addEventListener('change', () => { uploadFiles(input.files); input.value = ''; });
    dropzone.addEventListener('dragover', (event) => { event.preventDefault(); dropzone.classList.add('dragging'); });
    dropzone.addEventListener('dragleave', () => dropzone.classList.remove('dragging'));
    dropzone.addEventListener('drop', (event) => {
      event.preventDefault();
      dropzone.classList.remove('dragging');
      uploadFiles(event.dataTransfer.files);
    });
  }

  async function uploadFiles(files) {
    const list = $('#uploads');
    const dataField = $('#data');
    for (const file of Array.from(files)) {
      const item = document.createElement('li');
      item.textContent = `Uploading ${file.name}…`;
      list.append(item);
      const form = new FormData();
      form.append('file', file, file.name);
      let response;
      try {
        response = await api('/api/v1/datasets', { method: 'POST', body: form });
      } catch (problem) {
        item.textContent = `${file.name}: ${problem.message}`;
        item.className = 'field-error';
        continue;
      }
      if (!response.ok) {
        const problem = await failure(response);
        item.textContent = `${file.name} was not accepted: ${problem.message}`;
        item.className = 'field-error';
        continue;
      }
      const dataset = await response.json();
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = 'dataset';
      radio.id = `use-${dataset.dataset_id}`;
      radio.value = dataset.dataset_id;
      radio.addEventListener('change', () => { dataField.value = dataset.dataset_id; });
      const label = document.createElement('label');
      label.htmlFor = radio.id;
      label.textContent = `${dataset.filename}: ${dataset.participants} participants, ${dataset.utterances} utterances`;
      const id = document.createElement('code');
      id.textContent = dataset.dataset_id;
      item.replaceChildren(radio, label, id);
      if (!dataField.value) { radio.checked = true; dataField.value = dataset.dataset_id; }
    }
  }

  function clearErrors(form) {
    for (const slot of form.querySelectorAll('[data-error-for], .form-error')) slot.textContent = '';
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
  }

  /** Puts the API's complaints next to the fields they name; the rest under the form. */
  function showErrors(form, problem) {
    const named = [];
    for (const item of problem.details.fields || []) named.push([item.field, item.message]);
    if (!named.length && problem.details.field) named.push([problem.details.field, problem.message]);
    if (!named.length && problem.details.missing) named.push(['provider', problem.message]);
    let first = null;
    let placed = 0;
    for (const [field, message] of named) {
      const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
      if (!slot) continue;
      slot.textContent = message === problem.message ? message : `${field.replace(/_/g, ' ')} ${message}`;
      const input = form.querySelector(`#${CSS.escape(field)}`) || form.querySelector(`[name="${CSS.escape(field)}"]`);
      if (input) { input.setAttribute('aria-invalid', 'true'); first = first || input; }
      placed++;
    }
    if (placed < named.length || !placed) $('.form-error', form).textContent = problem.message;
    if (first) first.focus();
  }

  /** A number field's value as a number when it is one, else as typed (the API names it). */
  function numberOrText(value) {
    const trimmed = value.trim();
    if (!trimmed) return undefined;
    return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  }

  async function submitGeneration(form) {
    clearErrors(form);
    const body = {
      data: form.elements.data.value.trim(),
      count: numberOrText(form.elements.count.value),
      provider: form.elements.provider.value || undefined,
      model: form.elements.model.value.trim() || undefined,
      seed: numberOrText(form.elements.seed.value),
      experiment_id: form.elements.experiment_id.value || undefined,
    };
    const response = await postJson('/api/v1/generate', body);
    if (!response.ok) { showErrors(form, await failure(response)); return; }
    const job = await response.json();
    location.assign(`/ui/jobs/${encodeURIComponent(job.job_id)}`);
  }

  async function registerWebhook(form) {
    clearErrors(form);
    const body = { url: form.elements.url.value.trim(), secret: form.elements.secret.value || undefined };
    const response = await postJson('/api/v1/webhooks', body);
    if (!response.ok) { showErrors(form, await failure(response)); return; }
    await loadView();
    say('Webhook registered.');
  }

  // ---- actions ----------------------------------------------------------------------------
  async function act(request, done) {
    try {
      const response = await request();
      if (!response.ok) { say((await failure(response)).message, true); return; }
      await done(response);
    } catch (problem) {
      say(problem.message || String(problem), true);
    }
  }

  async function download(kind) {
    const persona = $('[data-persona]').dataset.persona;
    const path = `/api/v1/personas/${encodeURIComponent(persona)}${kind === 'markdown' ? '?format=markdown' : ''}`;
    await act(() => api(path), async (response) => {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(await response.blob());
      link.download = kind === 'markdown' ? 'persona.md' : 'persona.json';
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    });
  }

  async function loadScript(details) {
    if (details.dataset.loaded) return;
    details.dataset.loaded = 'yes';
    const output = $('pre', details);
    const body = { persona_id: $('[data-persona]').dataset.persona, format: details.dataset.scriptFormat };
    if (details.dataset.scriptYaml === 'true') body.yaml = true;
    try {
      const response = await postJson('/api/v1/scripts', body);
      if (!response.ok) {
        output.textContent = (await failure(response)).message;
        delete details.dataset.loaded;
        return;
      }
      output.textContent = (await response.json()).output;
    } catch (problem) {
      output.textContent = problem.message;
      delete details.dataset.loaded;
    }
  }

  /** Fetches a claim's evidence into the card when the claim is first opened. */
  async function loadEvidence(details) {
    if (details.dataset.loaded) return;
    details.dataset.loaded = 'yes';
    const [field, index] = details.dataset.claim.split('/');
    const base = details.closest('[data-evidence-base]').dataset.evidenceBase;
    const slot = document.createElement('div');
    slot.textContent = 'Loading the evidence…';
    details.append(slot);
    try {
      const response = await api(`${base}?field=${encodeURIComponent(field)}&index=${encodeURIComponent(index)}`,
        { headers: { Accept: 'text/html' } });
      if (!response.ok) throw await failure(response);
      slot.innerHTML = await response.text();
    } catch (problem) {
      slot.textContent = problem.message || String(problem);
      delete details.dataset.loaded;
      setTimeout(() => slot.remove(), 4000);
    }
  }

  async function copy(button) {
    const text = document.getElementById(button.dataset.copy).textContent;
    const status = button.nextElementSibling;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Outside a secure context: copy through a selection.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    if (status) status.textContent = 'Copied.';
  }

  document.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    const data = target.dataset;
    if (data.cancel) {
      target.disabled = true;
      act(() => api(`/api/v1/generate/${encodeURIComponent(data.cancel)}`, { method: 'DELETE' }), () => loadView())
        .finally(() => { target.disabled = false; });
    } else if (data.retry) {
      act(() => postJson('/api/v1/generate', JSON.parse(data.retry)), async (response) => {
        location.assign(`/ui/jobs/${encodeURIComponent((await response.json()).job_id)}`);
      });
    } else if (data.download) {
      download(data.download);
    } else if ('print' in data) {
      window.print();
    } else if (data.copy) {
      copy(target);
    } else if (data.webhookTest) {
      act(() => api(`/api/v1/webhooks/${encodeURIComponent(data.webhookTest)}/test`, { method: 'POST' }), async () => {
        await loadView();
        say('Test ping queued.');
      });
    } else if (data.redeliver) {
      const [webhook, delivery] = data.redeliver.split('/');
      act(() => api(`/api/v1/webhooks/${encodeURIComponent(webhook)}/deliveries/${encodeURIComponent(delivery)}/redeliver`,
        { method: 'POST' }), async () => {
        await loadView();
        say('Delivery queued again.');
      });
    } else if (target.id === 'token-button') {
      askToken().then(loadView, () => {});
    }
  });

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (form.matches('[data-generate]')) {
      event.preventDefault();
      submitGeneration(form).catch((problem) => showErrors(form, { message: problem.message, details: {} }));
    } else if (form.matches('[data-webhook-register]')) {
      event.preventDefault();
      registerWebhook(form).catch((problem) => showErrors(form, { message: problem.message, details: {} }));
    }
  });

  document.addEventListener('change', (event) => {
    if (event.target.matches('select[data-autosubmit]')) event.target.form.requestSubmit();
  });

  document.addEventListener('toggle', (event) => {
    const details = event.target;
    if (!details.open) return;
    if (details.matches('details[data-script-format]')) loadScript(details);
    else if (details.matches('details[data-claim]')) loadEvidence(details);
  }, true);

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', loadView);
  else loadView();
})();
