// Passkey ceremonies on Portcullis pages. A classic script, no build step, loaded after the
// SimpleWebAuthn browser bundle (global `SimpleWebAuthnBrowser`):
//
//   <script src="/static/simplewebauthn-browser.js"></script>
//   <script src="/static/passkey.js"></script>
//
// It runs under `script-src 'self'` with no inline script: the ceremony options come from a JSON
// data block, which CSP does not treat as script, and the result travels in an ordinary form POST,
// so the page needs neither fetch nor any extra endpoint. The contract with the page:
//
//   <script type="application/json" id="passkey-options">…options JSON…</script>
//   <form method="post" action="…" data-passkey="register">   (or data-passkey="authenticate")
//     <input type="hidden" name="credential">                 (filled with the browser's JSON)
//     <p data-passkey-error role="alert" hidden></p>          (shown when the ceremony fails)
//     <button type="submit">…</button>
//   </form>
//
// On submit the ceremony runs instead of the submission; when it succeeds, `credential` receives
// JSON.stringify(result) and the form is submitted for real, with the button that was pressed.
// When it fails, nothing is sent: the error element shows why and the form can be submitted again.
// A submit button carrying `data-passkey-skip` submits the form without a ceremony. Other fields
// (such as the name of a new passkey) are left alone and sent along.
//
// A form that is only worth showing with WebAuthn carries `hidden`: it is shown once the browser
// supports passkeys (without JavaScript, or without WebAuthn, the page reads as if it had none).
// An "authenticate" form carrying `data-passkey-autofill` (the sign-in page's, whose options name
// no credential) also offers its passkeys in the browser's autofill of the page's
// `autocomplete="… webauthn"` field (conditional mediation), when the browser can: choosing one
// there submits the form just as its button would. Pressing the button meanwhile replaces that
// pending request with the button's own (the library aborts the first), which is why its abort is
// no error worth showing.
(function () {
  'use strict';

  var MESSAGES = {
    unsupported: 'This browser does not support passkeys. Use another browser or another sign-in method.',
    cancelledRegister: 'No passkey was created: the request was cancelled or timed out. Try again.',
    cancelledAuthenticate: 'No passkey was used: the request was cancelled or timed out, or this device has no passkey for your account. Try again.',
    alreadyRegistered: 'This authenticator already holds a passkey for your account.',
    wrongAddress: 'Passkeys cannot be used at this address.',
    noOptions: 'The passkey request could not be prepared. Reload the page and try again.',
    generic: 'The passkey could not be used. Try again.',
  };

  /** A message for the user; the technical one goes to the console for whoever debugs it. */
  function messageFor(error, mode) {
    var name = (error && error.name) || '';
    var code = (error && error.code) || '';
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return MESSAGES.alreadyRegistered;
    // Cancelling, timing out and "no matching credential here" all look the same to a page, on
    // purpose (the browser hides which passkeys exist).
    if (name === 'NotAllowedError' || name === 'AbortError') return mode === 'register' ? MESSAGES.cancelledRegister : MESSAGES.cancelledAuthenticate;
    if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') return MESSAGES.wrongAddress;
    if (name === 'NotSupportedError') return MESSAGES.unsupported;
    return MESSAGES.generic;
  }

  function readOptions(form) {
    var element = form.querySelector('script[type="application/json"][data-passkey-options]') || document.getElementById('passkey-options');
    if (!element) return undefined;
    try {
      var options = JSON.parse(element.textContent || '');
      return options && typeof options === 'object' && typeof options.challenge === 'string' ? options : undefined;
    } catch (error) {
      return undefined;
    }
  }

  function errorElement(form) {
    return form.querySelector('[data-passkey-error]') || document.querySelector('[data-passkey-error]');
  }

  function showError(form, message) {
    var element = errorElement(form);
    if (!element) {
      // The contract asks for one; without it the user must still learn that nothing happened.
      element = document.createElement('p');
      element.setAttribute('data-passkey-error', '');
      element.className = 'error';
      form.insertBefore(element, form.firstChild);
    }
    if (!element.getAttribute('role')) element.setAttribute('role', 'alert');
    element.textContent = message;
    element.hidden = false;
  }

  function clearError(form) {
    var element = errorElement(form);
    if (!element) return;
    element.textContent = '';
    element.hidden = true;
  }

  function credentialInput(form) {
    var input = form.querySelector('input[name="credential"]');
    if (!input) {
      input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'credential';
      form.appendChild(input);
    }
    return input;
  }

  function setBusy(form, busy) {
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
    var buttons = form.querySelectorAll('button, input[type="submit"]');
    for (var index = 0; index < buttons.length; index++) buttons[index].disabled = busy;
  }

  /** Submits for real, as if `submitter` had been pressed, without running the ceremony again. */
  function submitForReal(form, submitter) {
    form.setAttribute('data-passkey-done', '');
    if (typeof form.requestSubmit === 'function') {
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    } else {
      // The prototype's method: a control named "submit" would shadow form.submit.
      HTMLFormElement.prototype.submit.call(form);
    }
  }

  function attach(form) {
    var mode = form.getAttribute('data-passkey');
    if (mode !== 'register' && mode !== 'authenticate') return;
    var running = false;

    form.addEventListener('submit', function (event) {
      if (form.hasAttribute('data-passkey-done')) return; // the real submission
      var submitter = event.submitter || null;
      if (submitter && submitter.hasAttribute('data-passkey-skip')) return;
      event.preventDefault();
      if (running) return;

      var library = window.SimpleWebAuthnBrowser;
      if (!library || !library.browserSupportsWebAuthn()) {
        showError(form, MESSAGES.unsupported);
        return;
      }
      var optionsJSON = readOptions(form);
      if (!optionsJSON) {
        showError(form, MESSAGES.noOptions);
        return;
      }

      var input = credentialInput(form);
      input.value = '';
      clearError(form);
      running = true;
      setBusy(form, true);
      var ceremony = mode === 'register' ? library.startRegistration({ optionsJSON: optionsJSON }) : library.startAuthentication({ optionsJSON: optionsJSON });
      ceremony.then(
        function (result) {
          input.value = JSON.stringify(result);
          running = false;
          // Re-enabled first: a disabled submitter would not be sent (and requestSubmit refuses it).
          setBusy(form, false);
          submitForReal(form, submitter);
        },
        function (error) {
          running = false;
          setBusy(form, false);
          if (window.console) window.console.warn('passkey ' + mode + ' failed:', error);
          showError(form, messageFor(error, mode));
          // the button's ceremony ended the autofill's pending request: offer it again
          if (form.hasAttribute('data-passkey-autofill')) offerInAutofill(form, library);
        },
      );
    });
  }

  /** The browser's autofill offers the form's passkeys; choosing one submits the form. */
  function offerInAutofill(form, library) {
    var optionsJSON = readOptions(form);
    if (!optionsJSON || typeof library.browserSupportsWebAuthnAutofill !== 'function') return;
    library.browserSupportsWebAuthnAutofill().then(
      function (available) {
        if (!available) return;
        library.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: true }).then(
          function (result) {
            credentialInput(form).value = JSON.stringify(result);
            submitForReal(form, null);
          },
          function (error) {
            // aborted by the button's ceremony, or the page is being left: nothing to tell the user
            if (window.console) window.console.info('passkey autofill ended:', error && error.name);
          },
        );
      },
      function () {},
    );
  }

  function start() {
    var forms = document.querySelectorAll('form[data-passkey]');
    for (var index = 0; index < forms.length; index++) attach(forms[index]);
    var library = window.SimpleWebAuthnBrowser;
    if (library && library.browserSupportsWebAuthn()) {
      for (var shown = 0; shown < forms.length; shown++) {
        if (forms[shown].hidden) forms[shown].hidden = false;
        if (forms[shown].hasAttribute('data-passkey-autofill') && forms[shown].getAttribute('data-passkey') === 'authenticate')
          offerInAutofill(forms[shown], library);
      }
    }
    // A page restored from the back/forward cache must not resend a used (single-use) credential.
    window.addEventListener('pageshow', function (event) {
      if (!event.persisted) return;
      for (var index = 0; index < forms.length; index++) {
        forms[index].removeAttribute('data-passkey-done');
        setBusy(forms[index], false);
        var input = forms[index].querySelector('input[name="credential"]');
        if (input) input.value = '';
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
