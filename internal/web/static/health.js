// The health page: the server renders the table, worst first; this script
// fetches it again every 10 s, and at once when a camera's health changes.

const box = document.getElementById('health-table');
let busy = false;
let again = false;

async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const res = await fetch('/ui/health' + location.search, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (res.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname); return; }
    if (res.ok) box.innerHTML = await res.text(); // rendered and escaped by the server's template
  } catch { /* the banner tells when the server is away; the next turn tries again */ }
  busy = false;
  if (again) { again = false; refresh(); }
}

setInterval(refresh, 10000);
let soon = null;
document.addEventListener('matthan:health', () => {
  clearTimeout(soon);
  soon = setTimeout(refresh, 300);
});
