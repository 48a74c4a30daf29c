// Passkeys and security keys: the one script of Sekisho, loaded only by pages that offer them.
// A form with data-webauthn="create" or "get" carries the server's options as JSON in
// data-options (binary values in base64url); its button asks the browser, and the answer goes
// back in the form's hidden "credential" field, posted like any other form (with its CSRF field).
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
  function publicKeyOptions(form) {
    const options = JSON.parse(form.dataset.options);
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

  async function run(form) {
    const error = form.querySelector("[data-webauthn-error]");
    if (error) error.hidden = true;
    try {
      const publicKey = publicKeyOptions(form);
      const credential = form.dataset.webauthn === "create"
        ? await navigator.credentials.create({ publicKey })
        : await navigator.credentials.get({ publicKey });
      form.elements.credential.value = serialize(credential);
      form.submit();
    } catch (failure) {
      // Cancelled, timed out, or no matching key: say so and leave the other ways open.
      if (error) error.hidden = false;
    }
  }

  for (const form of document.querySelectorAll("form[data-webauthn]")) {
    const button = form.querySelector("button[data-webauthn-start]");
    if (!window.PublicKeyCredential || !button) continue;
    button.hidden = false;
    button.addEventListener("click", () => run(form));
  }
})();
