// The language switch keeps the report chosen: the layout's link is
// "?lang=…", which would drop the period and the area.
const link = document.querySelector('a.lang');
if (link) {
  const q = new URLSearchParams(location.search);
  q.set('lang', new URL(link.href).searchParams.get('lang'));
  link.search = '?' + q.toString();
}
