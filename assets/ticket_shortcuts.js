// The agent workspace's keys: r reply, n internal note, j next ticket, Ctrl+Enter send
// (typing in a field is left alone). A file of its own: the content security policy runs
// no inline script the build did not make.
if (!window.__ticketKeys) {
  window.__ticketKeys = true;
  document.addEventListener('keydown', function (event) {
    if (!document.getElementById('ticket-workspace')) return;
    const target = event.target;
    const typing = target && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT'
      || target.isContentEditable);
    if (typing) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)
          && target.id === 'ticket-composer') {
        event.preventDefault();
        target.form?.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const click = (id) => document.getElementById(id)?.click();
    const focus = () => setTimeout(() => document.getElementById('ticket-composer')?.focus(), 50);
    if (event.key === 'r') { event.preventDefault(); click('mode-reply'); focus(); }
    else if (event.key === 'n') { event.preventDefault(); click('mode-note'); focus(); }
    else if (event.key === 'j') { event.preventDefault(); click('ticket-next'); }
  });
}
