// The login page: a form posted to /dashboard/login, or the token in the URL fragment (`#token=...`), which the
// browser never sends to the server; it is taken out of the address bar and history before anything else.
const error = document.getElementById('login-error');

if (new URLSearchParams(location.search).has('failed')) error.hidden = false;

const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get('token');
if (token !== null) {
  history.replaceState(null, '', location.pathname);
  fetch('/dashboard/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token }),
    credentials: 'same-origin',
  }).then((response) => {
    if (response.ok) location.replace('/dashboard');
    else error.hidden = false;
  });
}
