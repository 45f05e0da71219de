// jsdom (the renderer tests' DOM) has HTMLDialogElement but not showModal()/close(): this gives it
// the open/close state they set, so components/Dialog.tsx mounts there. The modal behaviour itself
// (top layer, inert page, focus kept inside) is the browser's, checked in Chromium by tests/e2e.
if (typeof HTMLDialogElement !== 'undefined' && typeof HTMLDialogElement.prototype.showModal !== 'function') {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
}
