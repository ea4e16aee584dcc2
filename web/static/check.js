// Checks the prompt file while it is typed: a second after the last key,
// the text goes to the server's check (the same as `kindling check`) and
// its problems are listed under the editor. The page works without it:
// the "Check" button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  var text = document.getElementById("text");
  var live = document.getElementById("live");
  if (!form || !text || !live || !window.fetch) {
    return;
  }
  var url = form.getAttribute("action").replace(/\/edit$/, "/check");
  var timer = null;
  var seq = 0;
  function show(result) {
    live.textContent = "";
    var p = document.createElement("p");
    var problems = (result.problems || []).filter(function (x) { return !x.warning; });
    if (problems.length === 0 && (result.others || []).length === 0) {
      p.textContent = "Checked while typing: no errors.";
      live.className = "live ok";
      live.appendChild(p);
      return;
    }
    live.className = "live errors";
    p.textContent = "Checked while typing: " + problems.length + (problems.length === 1 ? " error" : " errors") + ".";
    live.appendChild(p);
    var ul = document.createElement("ul");
    problems.concat((result.others || []).map(function (o) { return { message: o }; })).forEach(function (x) {
      var li = document.createElement("li");
      li.textContent = (x.line ? "Line " + x.line + ": " : "") + (x.field ? x.field + ": " : "") + x.message;
      ul.appendChild(li);
    });
    live.appendChild(ul);
  }
  function check() {
    var mine = ++seq;
    var body = new FormData();
    body.append("csrf", form.elements.csrf.value);
    body.append("file", form.elements.file.value);
    body.append("text", text.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result && mine === seq) { show(result); } })
      .catch(function () { /* the Check button still works */ });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 1000);
  });
})();
