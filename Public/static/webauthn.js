// Passkeys and security keys: the one script of Sekisho, loaded only by pages that offer them.
// A form with data-webauthn="create" or "get" carries the server's options as JSON in
// data-options (binary values in base64url); its button asks the browser, and the answer goes
// back in the form's hidden "credential" field, posted like any other form (with its CSRF field).
// A form with data-options-url instead (passwordless sign-in on the login page) asks the server
// for its options first, with its CSRF field, and with data-mediation="conditional" also offers
// the site's passkeys in the user ID field's autofill, where the browser can.
"use strict";

(function () {
  function fromBase64URL(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64URL(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server's options, with the base64url fields the browser wants as bytes decoded.
  function publicKeyOptions(json) {
    const options = JSON.parse(json);
    options.challenge = fromBase64URL(options.challenge);
    if (options.user) options.user.id = fromBase64URL(options.user.id);
    for (const list of [options.allowCredentials, options.excludeCredentials]) {
      for (const credential of list || []) credential.id = fromBase64URL(credential.id);
    }
    return options;
  }

  function serialize(credential) {
    const response = credential.response;
    const out = { id: credential.id, type: credential.type, clientDataJSON: toBase64URL(response.clientDataJSON) };
    if (response.attestationObject) out.attestationObject = toBase64URL(response.attestationObject);
    if (response.authenticatorData) out.authenticatorData = toBase64URL(response.authenticatorData);
    if (response.signature) out.signature = toBase64URL(response.signature);
    if (response.userHandle) out.userHandle = toBase64URL(response.userHandle);
    return JSON.stringify(out);
  }

  // The options as JSON: in the page, or fetched once (each fetch stores a challenge) and kept
  // for the button while unused.
  let fetched = null;
  async function optionsJSON(form) {
    if (form.dataset.options) return form.dataset.options;
    if (!fetched) {
      fetched = fetch(form.dataset.optionsUrl, {
        method: "POST",
        credentials: "same-origin",
        body: new URLSearchParams({ csrf: form.elements.csrf.value }),
      }).then((response) => {
        if (!response.ok) throw new Error("options: " + response.status);
        return response.text();
      });
    }
    return fetched;
  }

  function send(form, credential) {
    form.elements.credential.value = serialize(credential);
    form.submit();
  }

  // A conditional request waiting on the autofill; the button aborts it to ask outright.
  let waiting = null;

  async function run(form) {
    const error = form.querySelector("[data-webauthn-error]");
    if (error) error.hidden = true;
    if (waiting) waiting.abort();
    try {
      const publicKey = publicKeyOptions(await optionsJSON(form));
      const credential = form.dataset.webauthn === "create"
        ? await navigator.credentials.create({ publicKey })
        : await navigator.credentials.get({ publicKey });
      send(form, credential);
    } catch (failure) {
      // Cancelled, timed out, or no matching key: say so and leave the other ways open. A fetched
      // challenge may have expired meanwhile: the next try asks for a new one.
      fetched = null;
      if (error) error.hidden = false;
    }
  }

  // Offers the passkeys in the autofill of the field marked autocomplete="... webauthn".
  async function offerInAutofill(form) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) return;
    if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
    waiting = new AbortController();
    try {
      const publicKey = publicKeyOptions(await optionsJSON(form));
      const credential = await navigator.credentials.get({ publicKey, mediation: "conditional", signal: waiting.signal });
      send(form, credential);
    } catch (failure) {
      // Aborted for the button, or no passkey chosen: the page goes on as it is.
    }
  }

  for (const form of document.querySelectorAll("form[data-webauthn]")) {
    const button = form.querySelector("button[data-webauthn-start]");
    if (!window.PublicKeyCredential || !button) continue;
    button.hidden = false;
    button.addEventListener("click", () => run(form));
    if (form.dataset.mediation === "conditional") offerInAutofill(form);
  }
})();
