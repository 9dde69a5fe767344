import { api } from '/static/app.js';

const form = document.getElementById('login');
const errEl = document.getElementById('login-error');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  errEl.hidden = true;
  const data = Object.fromEntries(new FormData(form));
  try {
    await api('POST', '/api/session', { name: data.name, password: data.password });
    location.href = form.dataset.next || '/';
  } catch (e) {
    errEl.textContent = e.message;
    errEl.hidden = false;
  }
});
