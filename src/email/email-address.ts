// What may stand in an address header and an SMTP envelope: one plain mailbox, nothing else. A
// recipient with a line break, a comma, angle brackets or quotes could add headers or recipients
// (header injection); such an address is refused before it is queued and again before it is sent.
// (Whether an address is plausible is the form's business: this is only the injection guard.)

const MAILBOX = /^[^\s\x00-\x1f\x7f@,;:<>()[\]\\"]+@[^\s\x00-\x1f\x7f@,;:<>()[\]\\"]+$/u;

export function isPlainMailbox(address: string): boolean {
  return address.length <= 254 && MAILBOX.test(address);
}
