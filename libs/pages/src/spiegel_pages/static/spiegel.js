/* Spiegel pages: the little script there is (CSP: from 'self' only, no inline handlers).
   - questionnaire: autosave of the draft (PUT /respondent/draft with the session's CSRF token),
     progress as you answer; without JavaScript the "save" button does the same.
   - notes: autosave of the facilitator's draft (PUT {text, version} to the accreditation API
     with the session's CSRF token; the answer's version is the next save's).
   - nominations: a live warning while choosing a group with too few nominees.
   - an error summary takes the focus, so screen readers and keyboards start there. */
(function () {
  "use strict";

  function answersOf(form) {
    var ratings = {}, comments = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) { return; }
      if (el.type === "radio" && el.checked && el.name.indexOf("r_") === 0) {
        ratings[el.name.slice(2)] = el.value === "nvt" ? "nvt" : parseInt(el.value, 10);
      } else if (el.tagName === "TEXTAREA" && el.name.indexOf("c_") === 0 && el.value.trim()) {
        comments[el.name.slice(2)] = el.value;
      }
    });
    return { ratings: ratings, comments: comments };
  }

  function questionnaire(form) {
    var status = document.getElementById("autosave-status");
    var bar = document.getElementById("progress");
    var counter = document.getElementById("progress-text");
    var timer = null, busy = false, again = false;

    function progress() {
      var answered = Object.keys(answersOf(form).ratings).length;
      if (bar) { bar.value = answered; }
      if (counter) {
        counter.textContent = form.dataset.progressText.replace("{a}", answered).replace("{r}", bar ? bar.max : "");
      }
    }

    function save() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(form.dataset.draftUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf, "Accept": "application/json" },
        body: JSON.stringify(answersOf(form))
      }).then(function (response) {
        status.classList.toggle("failed", !response.ok);
        status.textContent = response.ok ? form.dataset.savedText : form.dataset.failedText;
      }).catch(function () {
        status.classList.add("failed");
        status.textContent = form.dataset.failedText;
      }).then(function () {
        busy = false;
        if (again) { again = false; save(); }
      });
    }

    function later(delay) {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, delay);
    }

    form.addEventListener("change", function () { progress(); later(800); });
    form.addEventListener("input", function (event) { if (event.target.tagName === "TEXTAREA") { later(2000); } });
    progress();
  }

  function nominations(form) {
    var counts = JSON.parse(form.dataset.counts || "{}");
    var advised = parseInt(form.dataset.advised, 10);
    var select = form.querySelector("select[name=group]");
    var live = document.getElementById("group-live");
    function warn() {
      var count = counts[select.value] || 0;
      var text = count === 1 ? form.dataset.warningOneText : form.dataset.warningText;
      live.textContent = count < advised ? text.replace("{count}", count) : "";
    }
    select.addEventListener("change", warn);
    warn();
  }

  function notes(form) {
    var status = document.getElementById("autosave-status");
    var text = form.querySelector("textarea[name=text]");
    var version = form.querySelector("input[name=version]");
    var release = document.getElementById("release-version");
    var timer = null, busy = false, again = false, stopped = false, last = text.value;

    function save() {
      if (stopped || text.value === last) { return; }
      if (busy) { again = true; return; }
      busy = true;
      var sent = text.value;
      fetch(form.dataset.apiUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf, "Accept": "application/json" },
        body: JSON.stringify({ text: sent, version: parseInt(version.value, 10) || 0 })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) {
            last = sent;
            version.value = body.version;
            if (release) { release.value = body.version; }
            status.classList.remove("failed");
            status.textContent = form.dataset.savedText;
          } else {
            status.classList.add("failed");
            if (response.status === 409) { stopped = true; }
            status.textContent = response.status === 409 ? form.dataset.conflictText : (body.message || form.dataset.failedText);
          }
        });
      }).catch(function () {
        status.classList.add("failed");
        status.textContent = form.dataset.failedText;
      }).then(function () {
        busy = false;
        if (again) { again = false; save(); }
      });
    }

    text.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 1500);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var notesForm = document.getElementById("notes-form");
    if (notesForm && notesForm.dataset.apiUrl) { notes(notesForm); }
    var q = document.getElementById("questionnaire");
    if (q && q.dataset.draftUrl) { questionnaire(q); }
    var n = document.getElementById("nominate-form");
    if (n) { nominations(n); }
    var summary = document.getElementById("missing-summary");
    if (summary) { summary.focus(); }
  });
})();
