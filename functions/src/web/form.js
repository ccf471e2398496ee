// Enhances the registration form: fetches a signed token so the form is sent in one step (without
// JavaScript, the server asks to confirm once instead). Same origin only.
(function () {
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
