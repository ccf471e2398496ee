// Enhances the registration form: fetches a signed token so the form is sent in one step (without
// JavaScript, the server asks to confirm once instead), and shows an error's whole question when
// its link is followed. Same origin only.
(function () {
  // An error link focuses its field and shows its question (label or legend) at the top of the
  // screen, not only the field under it.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    var question = field && field.closest(".field");
    if (!question) return;
    e.preventDefault();
    question.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });
  var form = document.querySelector("form.registration");
  if (!form) return;
  // The poster's tag of this page's address (?src=…), checked again by the server. Without
  // JavaScript the server reads it from the page's address the browser sends along.
  var src = form.querySelector("input[name=src]");
  var tag = /[?&]src=([a-z0-9-]{1,60})(?:&|$)/.exec(window.location.search);
  if (src && !src.value && tag) src.value = tag[1];
  if (!window.fetch) return;
  var token = form.querySelector("input[name=token]");
  if (token.value) return;
  fetch(form.getAttribute("data-token-url"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (j) { if (j && j.token && !token.value) token.value = j.token; })
    .catch(function () {});
})();
