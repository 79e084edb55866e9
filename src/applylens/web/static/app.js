// The ApplyLens chat page. Everything that comes from an email is inserted
// with textContent or inside a sandboxed iframe, never as page HTML.

const HEARTBEAT_MS = 30000;
const FALLBACK_LOG = "[Chat] Streaming disabled, falling back to non-streaming";

const $ = (id) => document.getElementById(id);

const state = {
  history: [],
  controller: null,
  busy: false,
  retryTimer: null,
  token: localStorage.getItem("applylens.token") || "",
};

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  return headers;
}

function windowDays() {
  const select = $("window-select");
  if (select.value !== "custom") return Number(select.value);
  const days = Math.round(Number($("window-custom").value));
  return Math.min(365, Math.max(1, Number.isFinite(days) ? days : 30));
}

function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}


function addTurn(role, text) {
  const item = element("li", `turn turn-${role}`);
  item.append(element("span", "who", role === "user" ? "You" : "ApplyLens"));
  const body = element("div", "body", text);
  item.append(body);
  $("conversation").append(item);
  item.scrollIntoView({ block: "end" });
  return { item, body };
}

function renderItems(container, items) {
  if (!items || items.length === 0) return;
  const list = element("ul", "items");
  for (const entry of items) {
    const row = element("li", `item item-${entry.kind || "line"}`);
    row.append(element("strong", null, entry.title));
    if (entry.detail) row.append(element("span", "detail", ` ${entry.detail}`));
    list.append(row);
  }
  container.append(list);
}

function renderCitations(container, citations) {
  container.querySelector(".citations")?.remove();
  if (!citations || citations.length === 0) return;
  const list = element("ul", "citations");
  list.setAttribute("aria-label", "Emails used for this answer");
  for (const citation of citations) {
    const card = element("li", "citation");
    const button = element("button", "citation-open");
    button.type = "button";
    button.dataset.emailId = citation.id;
    button.append(element("span", "subject", citation.subject || "(no subject)"));
    const sender = citation.sender_name
      ? `${citation.sender_name} <${citation.sender}>`
      : citation.sender;
    button.append(element("span", "sender", sender));
    const when = element("time", "date", formatDate(citation.date));
    when.dateTime = citation.date;
    button.append(when);
    const labels = element("span", "labels");
    for (const label of citation.labels || []) {
      labels.append(element("span", "label", label.replaceAll("_", " ")));
    }
    button.append(labels);
    button.addEventListener("click", () => openEmail(citation.id));
    card.append(button);
    list.append(card);
  }
  container.append(list);
}

// The plain-text answer repeats its structured items as "- " lines, so the
// page shows the text before them and renders the items as a list.
function answerSummary(answer) {
  if (!answer.items || answer.items.length === 0) return answer.answer;
  const head = answer.answer.split(/\n- /)[0];
  return head || answer.answer;
}

function renderAnswer(turn, answer) {
  turn.body.textContent = answerSummary(answer);
  renderItems(turn.item, answer.items);
  renderCitations(turn.item, answer.citations);
  if (answer.window && answer.window.note) {
    turn.item.append(element("p", "window-note", answer.window.note));
  }
  renderActions(answer.actions);
}


function renderActions(actions) {
  const list = $("action-list");
  for (const action of actions || []) {
    if (list.querySelector(`[data-action-id="${CSS.escape(action.id)}"]`)) continue;
    const row = element("li", "action");
    row.dataset.actionId = action.id;
    row.append(element("span", "action-title", action.title));
    const status = element("span", "action-status", action.status || "proposed");
    row.append(status);
    if (!action.status || action.status === "proposed") {
      for (const verb of ["approve", "reject"]) {
        const button = element("button", `action-${verb}`, verb === "approve" ? "Approve" : "Reject");
        button.type = "button";
        button.setAttribute("aria-label", `${button.textContent}: ${action.title}`);
        button.addEventListener("click", () => decideAction(action.id, verb, row, status));
        row.append(button);
      }
    }
    list.append(row);
  }
}

async function decideAction(id, verb, row, status) {
  const response = await fetch(`/api/actions/${encodeURIComponent(id)}/${verb}`, {
    method: "POST",
    headers: authHeaders(),
  });
  if (!response.ok) {
    showError(await errorText(response));
    return;
  }
  const result = await response.json();
  status.textContent = result.status || (verb === "approve" ? "approved" : "rejected");
  for (const button of row.querySelectorAll("button")) button.remove();
}

async function loadActions() {
  const response = await fetch("/api/actions?status=proposed", { headers: authHeaders() });
  if (response.status === 401) {
    $("token-box").hidden = false;
    return;
  }
  if (!response.ok) return;
  const body = await response.json();
  renderActions(Array.isArray(body) ? body : body.actions);
}


async function openEmail(id) {
  const response = await fetch(`/api/emails/${encodeURIComponent(id)}`, { headers: authHeaders() });
  if (!response.ok) {
    showError(await errorText(response));
    return;
  }
  const email = await response.json();
  $("email-subject").textContent = email.subject || "(no subject)";
  const archived = email.archived ? " · archived" : "";
  $("email-meta").textContent = `${email.sender_name || ""} <${email.sender}> · ${formatDate(email.date)}${archived}`;
  const attachments = $("email-attachments");
  attachments.replaceChildren();
  for (const attachment of email.attachments || []) {
    attachments.append(element("li", null, `${attachment.filename} (${attachment.size} bytes)`));
  }
  const frame = $("email-html");
  // The server sanitises the HTML; the empty sandbox also stops scripts,
  // forms and navigation in case anything slipped through.
  if (email.html) {
    frame.srcdoc = email.html;
    frame.hidden = false;
  } else {
    frame.removeAttribute("srcdoc");
    frame.hidden = true;
  }
  $("email-text").textContent = email.text || "";
  $("email-dialog").showModal();
}


function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function errorText(response) {
  try {
    const body = await response.json();
    const detail = body.detail ?? body.error ?? body.message;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    return `Request failed with status ${response.status}`;
  } catch {
    return `Request failed with status ${response.status}`;
  }
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy || state.retryTimer !== null;
  $("stop").disabled = !busy;
}

function showRetryAfter(seconds) {
  const wait = Math.max(1, Math.ceil(Number(seconds) || 1));
  const at = new Date(Date.now() + wait * 1000);
  const note = $("retry-note");
  note.textContent = `Too many questions for now. You can ask again at ${at.toLocaleTimeString()} (in ${wait} s).`;
  note.hidden = false;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(() => {
    state.retryTimer = null;
    note.hidden = true;
    setBusy(false);
  }, wait * 1000);
  setBusy(false);
}


// Parse "event:", "data:" and "id:" lines into events; comments (": ping")
// are skipped. Returns the unparsed tail.
function parseEvents(buffer, onEvent) {
  const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
  const tail = blocks.pop();
  for (const block of blocks) {
    const event = { event: "message", data: "", id: null };
    const data = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event.event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") event.id = value;
    }
    if (data.length === 0 && event.event === "message") continue;
    event.data = data.join("\n");
    onEvent(event);
  }
  return tail;
}

async function readStream(response, handlers) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), handlers.onEvent);
  }
  parseEvents(`${buffer}\n\n`, handlers.onEvent);
}

// The browser's time zone, so that answers give dates and times as the
// citation cards do, and "today" starts at the reader's midnight.
function readerTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

function streamUrl(question, days, streamId) {
  const params = new URLSearchParams({ q: question, window_days: String(days) });
  const zone = readerTimeZone();
  if (zone) params.set("time_zone", zone);
  if (streamId) params.set("stream_id", streamId);
  return `/api/chat/stream?${params}`;
}

async function askStreaming(question, days, turn) {
  const progress = { lastId: null, streamId: null, finished: false, text: "" };
  const onEvent = (event) => {
    if (event.id !== null) progress.lastId = event.id;
    let data = {};
    try {
      data = event.data ? JSON.parse(event.data) : {};
    } catch {
      data = { text: event.data };
    }
    handleStreamEvent(event.event, data, turn, progress);
  };

  const response = await fetch(streamUrl(question, days), {
    headers: authHeaders({ Accept: "text/event-stream" }),
    signal: state.controller.signal,
  });
  if (response.status === 503 && response.headers.get("X-Chat-Streaming-Disabled") === "1") {
    return "disabled";
  }
  if (response.status === 429) {
    turn.item.remove();
    showRetryAfter(response.headers.get("Retry-After"));
    return "limited";
  }
  if (!response.ok) {
    turn.body.textContent = "";
    showError(await errorText(response));
    return "failed";
  }

  try {
    await readStream(response, { onEvent });
  } catch (error) {
    if (state.controller.signal.aborted) throw error;
  }
  if (progress.finished || state.controller.signal.aborted) return "done";

  // The connection dropped before "done": resume once from the last event.
  if (progress.streamId && progress.lastId !== null) {
    try {
      const again = await fetch(streamUrl(question, days, progress.streamId), {
        headers: authHeaders({ Accept: "text/event-stream", "Last-Event-ID": progress.lastId }),
        signal: state.controller.signal,
      });
      if (again.ok) await readStream(again, { onEvent });
    } catch (error) {
      if (state.controller.signal.aborted) throw error;
    }
  }
  if (!progress.finished) {
    showError("The connection was lost before the answer was complete; what arrived is shown above.");
  }
  return "done";
}

function handleStreamEvent(name, data, turn, progress) {
  switch (name) {
    case "ready":
      progress.streamId = data.stream_id || null;
      break;
    case "intent":
      turn.item.dataset.intent = data.intent || "";
      break;
    case "citations":
      renderCitations(turn.item, data.citations);
      break;
    case "delta":
      progress.text += data.text || "";
      turn.body.textContent = progress.text;
      break;
    case "answer":
      renderAnswer(turn, data);
      break;
    case "actions":
      renderActions(data.actions);
      break;
    case "error":
      showError(data.message || "The assistant could not answer.");
      progress.finished = true;
      break;
    case "done":
      progress.finished = true;
      break;
    default:
      break;
  }
}

async function askOnce(question, days, turn) {
  const response = await fetch("/api/chat", {
    method: "POST",
    headers: authHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify({
      messages: state.history.slice(-10),
      window_days: days,
      time_zone: readerTimeZone() || null,
    }),
    signal: state.controller.signal,
  });
  if (response.status === 429) {
    turn.item.remove();
    showRetryAfter(response.headers.get("Retry-After"));
    return null;
  }
  if (!response.ok) {
    turn.body.textContent = "";
    showError(await errorText(response));
    return null;
  }
  const answer = await response.json();
  renderAnswer(turn, answer);
  return answer;
}

function reportFallback() {
  fetch("/api/ux/chat/fallback", { method: "POST", headers: authHeaders() }).catch(() => {});
}

async function ask(question) {
  if (state.busy || state.retryTimer !== null) return;
  showError("");
  $("welcome").hidden = true;
  const days = windowDays();
  addTurn("user", question);
  state.history.push({ role: "user", content: question });
  const turn = addTurn("assistant", "…");
  state.controller = new AbortController();
  setBusy(true);
  try {
    const outcome = await askStreaming(question, days, turn);
    if (outcome === "disabled") {
      console.info(FALLBACK_LOG);
      $("streaming-note").hidden = false;
      reportFallback();
      const answer = await askOnce(question, days, turn);
      if (answer) state.history.push({ role: "assistant", content: answer.answer });
    } else {
      if (outcome === "done") $("streaming-note").hidden = true;
      if (turn.body.textContent) state.history.push({ role: "assistant", content: turn.body.textContent });
    }
  } catch (error) {
    if (error.name === "AbortError") {
      turn.item.append(element("p", "stopped", "Stopped."));
    } else {
      showError(`The request failed: ${error.message}`);
    }
  } finally {
    state.controller = null;
    setBusy(false);
  }
}


function postUsage(path, body) {
  return fetch(path, {
    method: "POST",
    headers: authHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  }).catch(() => {});
}

function startHeartbeat() {
  postUsage("/api/ux/chat/opened", {});
  setInterval(() => {
    if (document.visibilityState === "visible") postUsage("/api/ux/heartbeat", { page: "chat" });
  }, HEARTBEAT_MS);
}


function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function wire() {
  const question = $("question");
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text) return;
    question.value = "";
    ask(text);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => state.controller?.abort());
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => ask(chip.dataset.question));
  }
  $("window-select").addEventListener("change", (event) => {
    $("window-custom").hidden = event.target.value !== "custom";
  });
  $("token-save").addEventListener("click", () => {
    state.token = $("token-input").value.trim();
    localStorage.setItem("applylens.token", state.token);
    $("token-box").hidden = true;
    loadActions();
  });
  // Shortcuts: "/" focuses the question box, Escape stops an answer. Neither
  // fires while the person is typing in a field.
  document.addEventListener("keydown", (event) => {
    if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      event.preventDefault();
      question.focus();
    } else if (event.key === "Escape" && state.controller) {
      state.controller.abort();
    }
  });
}

wire();
loadActions();
startHeartbeat();
