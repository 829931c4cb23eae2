/* "N characters left" under every textarea that has a maxlength (issue 10: each text field has a limit, held by its
   model, and shown before the person types too much). The limit itself is the maxlength attribute, which the server
   sets from the model; this only shows it. Loaded by base.html from a file, never inline (Content-Security-Policy).

   - The count is what the browser counts for maxlength: a line break is one character (the form turns the CR LF it
     sends back into one, dpa_portal/lengths.py).
   - Screen readers hear the limit with the field (aria-describedby), and the count once typing pauses (a polite
     live region), not at every key.
   - A paste that did not fit is cut by the browser without a word: the counter says so.
   - A text saved before the limit existed may be longer: the counter says by how much. */
(function () {
  "use strict";

  var PAUSE_MS = 1000;
  var number = function (n) { return n.toLocaleString("en-US"); };

  function plural(n, word) {
    return number(n) + " " + word + (n === 1 ? "" : "s");
  }

  function describe(textarea, counter) {
    var ids = (textarea.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(counter.id) === -1) {
      ids.push(counter.id);
      textarea.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  function attach(textarea, index) {
    var limit = parseInt(textarea.getAttribute("maxlength"), 10);
    if (!(limit > 0) || textarea.dataset.charcount === "on") {
      return;
    }
    textarea.dataset.charcount = "on";
    var base = textarea.id || "charcount-" + index;
    var counter = document.createElement("div");
    counter.id = base + "-count";
    counter.className = "form-text char-count";
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", counter);
    counter.insertAdjacentElement("afterend", status);
    describe(textarea, counter);

    var cut = 0;
    var timer = null;

    function text() {
      var used = textarea.value.length;
      var left = limit - used;
      if (cut > 0) {
        return "The pasted text did not fit: its last " + plural(cut, "character") + " were left out. " +
          "Up to " + number(limit) + " characters.";
      }
      if (left < 0) {
        return plural(-left, "character") + " too many: shorten it to " + number(limit) + " characters to save.";
      }
      if (left === 0) {
        return "No characters left (up to " + number(limit) + ").";
      }
      return plural(left, "character") + " left (up to " + number(limit) + ").";
    }

    function update(announce) {
      var left = limit - textarea.value.length;
      counter.textContent = text();
      counter.classList.toggle("text-danger", left < 0 || cut > 0);
      counter.classList.toggle("fw-semibold", left <= 0 || cut > 0);
      counter.classList.toggle("text-warning-emphasis", left >= 0 && cut === 0 && left < limit / 10);
      if (announce) {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { status.textContent = counter.textContent; }, PAUSE_MS);
      }
    }

    textarea.addEventListener("paste", function (event) {
      var data = event.clipboardData && event.clipboardData.getData("text");
      if (!data) {
        return;
      }
      var pasted = data.replace(/\r\n?/g, "\n").length;
      var kept = textarea.value.length - (textarea.selectionEnd - textarea.selectionStart);
      var over = kept + pasted - limit;
      // After the browser has inserted what fits.
      window.setTimeout(function () {
        cut = over > 0 ? over : 0;
        update(true);
      }, 0);
    });
    textarea.addEventListener("input", function (event) {
      if (event.inputType !== "insertFromPaste") {
        cut = 0;
      }
      update(true);
    });
    update(false);
  }

  function start() {
    var areas = document.querySelectorAll("textarea[maxlength]");
    for (var i = 0; i < areas.length; i++) {
      attach(areas[i], i);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
